#!/usr/bin/env bash
# iperf3 throughput over veth with the agent vs without, alternating runs. The agent runs with
# default options unless AGENT_OPTS says otherwise, and WARMUP seconds pass after it starts
# (JIT compilation) before its run is measured. Both ends of the veth are on this host, so every
# packet crosses the agent's TX and RX hooks.
# Usage: SECS=10 ROUNDS=3 WARMUP=10 AGENT_OPTS="" bench/throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || mvn -B -q -DskipTests install >&2
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
bench_net_up
log=$(mktemp)
base=()
with=()
for r in $(seq 1 "${ROUNDS:-3}"); do
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null; sleep 0.3
  base+=("$(iperf_mbps)")
  # shellcheck disable=SC2086
  start_agent "$log" ${AGENT_OPTS:-}
  sleep "${WARMUP:-10}"
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null; sleep 0.3
  with+=("$(iperf_mbps)")
  stop_agent
  echo "round $r: without ${base[-1]} Mbit/s, with agent ${with[-1]} Mbit/s"
done
awk -v b="${base[*]}" -v w="${with[*]}" 'BEGIN {
  n = split(b, x, " "); split(w, y, " "); sb = 0; sw = 0
  for (i = 1; i <= n; i++) { sb += x[i]; sw += y[i] }
  printf "mean without %.0f Mbit/s, with agent %.0f Mbit/s: %.1f%% of baseline\n", sb/n, sw/n, 100*sw/sb }'
rm -f "$log"
