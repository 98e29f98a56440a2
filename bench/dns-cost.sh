#!/usr/bin/env bash
# The cost of the DNS programs (dns.egress, dns.ingress: cgroup_skb on the cgroup2 root) to TCP
# traffic and per DNS query:
#  1. iperf3 over veth with the agent run with --no-dns and with its defaults, alternating, medians;
#  2. the programs' run time per invocation (--bpf-stats) under iperf3, agent with --no-dns and with
#     its defaults, side by side (every DNS program run there is a TCP packet leaving at the port check);
#  3. the same under a DNS query load (a small DNS server in one namespace, sequential queries from the
#     other: UDP from a connected socket, UDP from an unconnected one, TCP on one connection);
#  4. an empty cgroup_skb program on each hook under iperf3 (the floor, EmptyProgramFloor).
# Usage: SECS=5 ROUNDS=3 WARMUP=3 QUERIES=3000 bench/dns-cost.sh   (after `mvn -B -o package -DskipTests`)
# PHASES="2 4" runs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || { echo "build the agent first: mvn -B -o package -DskipTests" >&2; exit 1; }
AGENT_PID=
SERVER_PID=
tmp=$(mktemp -d)
trap 'stop_agent; [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; bench_net_down; rm -rf "$tmp"' EXIT
bench_net_up
log=$tmp/agent.log
secs=${SECS:-5}

cat >"$tmp/server.py" <<'EOF'
# Answers every query (UDP and TCP port 53) with NOERROR and one A record.
import socket, struct, threading
def answer(q):
    pos = 12
    while q[pos]:
        pos += q[pos] + 1
    end = pos + 5
    return (q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + q[12:end]
            + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([198, 18, 99, 1]))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 53))
    while True:
        q, peer = s.recvfrom(512); s.sendto(answer(q), peer)
def conn(c):
    while True:
        h = c.recv(2)
        if len(h) < 2: return
        n = struct.unpack("!H", h)[0]; q = b""
        while len(q) < n: q += c.recv(n - len(q))
        r = answer(q); c.sendall(struct.pack("!H", len(r)) + r)
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 53)); s.listen(8)
    while True:
        c, _ = s.accept(); threading.Thread(target=conn, args=(c,), daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
print("listening", flush=True)
udp()
EOF
cat >"$tmp/load.py" <<'EOF'
# load.py SERVER N: N sequential queries each over UDP connected, UDP unconnected and TCP.
import socket, struct, sys, time
srv, n = sys.argv[1], int(sys.argv[2])
def q(i):
    return struct.pack("!HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0) + b"\x05bench\x07example\x00" + struct.pack("!HH", 1, 1)
t0 = time.time()
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect((srv, 53))
for i in range(n):
    c.send(q(i)); c.recv(512)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    u.sendto(q(i), (srv, 53)); u.recvfrom(512)
t = socket.create_connection((srv, 53))
for i in range(n):
    m = q(i); t.sendall(struct.pack("!H", len(m)) + m)
    h = t.recv(2); l = struct.unpack("!H", h)[0]; r = b""
    while len(r) < l: r += t.recv(l - len(r))
dt = time.time() - t0
print(f"{3 * n} queries answered in {dt:.1f} s ({3 * n / dt:.0f}/s)")
EOF


phase() { [[ " ${PHASES:-1 2 3 4} " == *" $1 "* ]]; }
if phase 1; then
echo "== 1. iperf3 throughput, --no-dns vs default (DNS programs loaded)"
AB_LOG=$log WARMUP=${WARMUP:-3} ROUNDS=${ROUNDS:-3} agent_ab --no-dns "--no-dns" "with DNS programs" ""
fi

phase 2 && for mode in --no-dns default; do
  opts=()
  [ "$mode" = default ] || opts=("$mode")
  echo "== 2. run time per invocation, iperf3 load, agent $mode --bpf-stats"
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
  start_agent "$log" "${opts[@]}" --bpf-stats --duration $(( secs + 4 ))
  echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
  wait "$AGENT_PID" || true
  sed -n '/BPF PROGRAM/,$p' "$log"
done

if phase 3; then
ip netns exec "$NS_A" python3 "$tmp/server.py" >"$tmp/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do grep -q listening "$tmp/server.out" && break; sleep 0.1; done
for mode in --no-dns default; do
  opts=()
  [ "$mode" = default ] || opts=("$mode")
  echo "== 3. run time per invocation, DNS query load, agent $mode --bpf-stats"
  start_agent "$log" "${opts[@]}" --bpf-stats --duration 3600
  ip netns exec "$NS_B" python3 "$tmp/load.py" "$ADDR_A" "${QUERIES:-3000}"
  stop_agent
  sed -n '/BPF PROGRAM/,$p' "$log"
done
fi

phase 4 || exit 0
echo "== 4. empty programs on the same hooks, iperf3 load"
ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
java -cp "node-agent/target/test-classes:$JAR" io.netwatcher.probe.EmptyProgramFloor \
  $(( secs + 3 )) 2>"$log" >"$tmp/floor.out" &
floor=$!
for _ in $(seq 1 100); do grep -q "attached" "$log" 2>/dev/null && break; sleep 0.1; done
echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
wait "$floor"
grep -E "EMPTY|cg_" "$tmp/floor.out"
