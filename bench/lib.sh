# Shared by the benchmark scripts: two network namespaces joined by a veth pair
# (198.18.200.1 <-> 198.18.200.2), removed on exit.
NS_A=nwbench-a
NS_B=nwbench-b
ADDR_A=198.18.200.1
JAR=node-agent/target/netwatcher-agent.jar

bench_net_up() {
  bench_net_down
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add nwbench0 netns "$NS_A" type veth peer name nwbench1 netns "$NS_B"
  ip -n "$NS_A" addr add "$ADDR_A/24" dev nwbench0
  ip -n "$NS_B" addr add 198.18.200.2/24 dev nwbench1
  for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_A" link set nwbench0 up
  ip -n "$NS_B" link set nwbench1 up
}

bench_net_down() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}

# iperf3 throughput in Mbit/s (receiver side) over SECS seconds.
iperf_mbps() {
  ip netns exec "$NS_B" iperf3 -c "$ADDR_A" -t "${SECS:-10}" -f m 2>&1 | awk '/receiver/ {print $(NF-2)}'
}

start_agent() { # start_agent LOGFILE [agent options]: waits until the probes are attached
  local log=$1
  shift
  java -jar "$JAR" --standalone "$@" >/dev/null 2>"$log" &
  AGENT_PID=$!
  for _ in $(seq 1 300); do
    grep -q "netwatcher running" "$log" 2>/dev/null && return 0
    kill -0 "$AGENT_PID" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "agent did not start" >&2
  return 1
}

stop_agent() {
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
}
