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

# Median of numbers given as arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# iperf3 Mbit/s over SECS with a fresh agent (options as arguments), after WARMUP seconds (default 5).
agent_iperf_mbps() {
  start_agent "$AB_LOG" "$@"
  sleep "${WARMUP:-5}"
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null; sleep 0.3
  iperf_mbps
  stop_agent
}

# agent_ab LABEL_A "OPTIONS_A" LABEL_B "OPTIONS_B": ROUNDS (default 5) alternating iperf3 runs of
# the agent with each set of options (split on spaces), each round's pair and the medians, B as a
# share of A. The agent's stderr goes to AB_LOG (a temporary file unless set).
agent_ab() {
  local la=$1 oa=$2 lb=$3 ob=$4 r
  local a=() b=()
  AB_LOG=${AB_LOG:-$(mktemp)}
  for r in $(seq 1 "${ROUNDS:-5}"); do
    # shellcheck disable=SC2086
    a+=("$(agent_iperf_mbps $oa)")
    # shellcheck disable=SC2086
    b+=("$(agent_iperf_mbps $ob)")
    echo "round $r: $la ${a[-1]} Mbit/s, $lb ${b[-1]} Mbit/s"
  done
  awk -v a="$(median "${a[@]}")" -v b="$(median "${b[@]}")" -v la="$la" -v lb="$lb" \
    'BEGIN { printf "median %s %.0f Mbit/s, %s %.0f Mbit/s: %.1f%%\n", la, a, lb, b, 100 * b / a }'
}
