#!/usr/bin/env bash
# Average BPF run time per program invocation (BPF_ENABLE_STATS) under iperf3 load over veth,
# agent with default options; then, under the same load, an empty program on each of the same
# hooks: the floor this machine charges a program that does nothing.
# Usage: SECS=10 bench/bpf-runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
mvn -B -q -DskipTests install >&2
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
bench_net_up
secs=${SECS:-10}

echo "== netwatcher (default options, --bpf-stats)"
ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
log=$(mktemp)
start_agent "$log" --bpf-stats --duration $(( secs + 4 ))
echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
wait "$AGENT_PID" || true
sed -n '/BPF PROGRAM/,$p' "$log"

echo "== empty programs on the same hooks"
mvn -B -q -pl node-agent dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
  -Dmdep.includeScope=test >&2
cp=$(cat node-agent/target/test-classpath.txt)
ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
java -cp "node-agent/target/test-classes:node-agent/target/classes:$cp" io.netwatcher.probe.EmptyProgramFloor \
  $(( secs + 3 )) 2>"$log" >"$log.out" &
floor=$!
for _ in $(seq 1 100); do grep -q "attached" "$log" 2>/dev/null && break; sleep 0.1; done
echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
wait "$floor"
cat "$log.out"
rm -f "$log" "$log.out"
