#!/usr/bin/env bash
# The cost of UDP (udp.bpf.h: the UDP work inside the RX/TX programs and tp_udp_recv_length) per
# program run, under a TCP load (iperf3) and a UDP load (iperf3 -u), side by side for:
#   base    the agent built from BASE_JAR (the commit before UDP), if given
#   no-udp  this agent with --no-udp (the UDP paths pruned at load, tp_udp_recv_length not loaded)
#   udp     this agent with its defaults
# Every run: a fresh agent with --bpf-stats --cpu-budget 0 (every packet timed, the most it can
# cost), SECS seconds of iperf3 between two namespaces over veth, then the agent's run-time table
# (runs, total and average ns per program run, from the kernel's bpf_stats).
# Usage: SECS=10 UDP_RATE=1G [BASE_JAR=path/to/base/netwatcher-agent.jar] bench/udp-cost.sh
#        (after `mvn -B -o package -DskipTests`; run under the machine lock)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || { echo "build the agent first: mvn -B -o package -DskipTests" >&2; exit 1; }
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
bench_net_up
secs=${SECS:-10}
rate=${UDP_RATE:-1G}
own_jar=$JAR
out=$(mktemp -d)

load() { # load tcp|udp: SECS of iperf3, prints the receiver's Mbit/s (and UDP loss)
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
  sleep 0.3
  if [ "$1" = tcp ]; then
    ip netns exec "$NS_B" iperf3 -c "$ADDR_A" -t "$secs" -f m 2>&1 | awk '/receiver/ {print $(NF-2) " Mbit/s"}'
  else
    ip netns exec "$NS_B" iperf3 -c "$ADDR_A" -u -b "$rate" -l 1200 -t "$secs" -f m 2>&1 |
      awk '/receiver/ {print $7 " Mbit/s, lost " $11 " " $12}'
  fi
}

run() { # run NAME JAR LOAD [agent options]
  local name=$1 jar=$2 what=$3
  shift 3
  JAR=$jar
  start_agent "$out/$name-$what.log" --bpf-stats --cpu-budget 0 --duration $(( secs + 4 )) "$@"
  echo "== $what load, $name: $(load "$what")"
  wait "$AGENT_PID" || true
  sed -n '/BPF PROGRAM/,$p' "$out/$name-$what.log" | tee "$out/$name-$what.table"
}

for what in tcp udp; do
  if [ -n "${BASE_JAR:-}" ]; then
    run base "$BASE_JAR" "$what"
  fi
  run no-udp "$own_jar" "$what" --no-udp
  run udp "$own_jar" "$what"
done

echo
echo "== side by side: average ns per run (runs) of the programs that UDP touches"
progs="tp_netif_receive_skb cg_ingress tp_sk_data_ready tp_sock_recv_length tp_udp_recv_length tp_net_dev_queue tp_net_dev_start_xmit tp_net_dev_xmit tp_kfree_skb_rx_sk"
for what in tcp udp; do
  printf '%-6s %-24s' "$what" "program"
  for name in base no-udp udp; do [ -f "$out/$name-$what.table" ] && printf ' %22s' "$name"; done
  echo
  for p in $progs; do
    printf '%-6s %-24s' "" "$p"
    for name in base no-udp udp; do
      f="$out/$name-$what.table"
      [ -f "$f" ] || continue
      printf ' %22s' "$(awk -v p="$p" '$1 == p {printf "%s (%s)", $4, $2}' "$f")"
    done
    echo
  done
done
rm -rf "$out"
