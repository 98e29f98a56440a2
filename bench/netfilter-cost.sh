#!/usr/bin/env bash
# The cost of the netfilter hook-time programs (--netfilter-times) to TCP traffic: iperf3 over veth
# with the agent run with its defaults and with --netfilter-times, alternating, medians; then one
# run with --netfilter-times --bpf-stats for the programs' run time per invocation under the same
# load. The agent links nf_first and nf_last in both namespaces of the veth pair (and the host's):
# every segment passes output and postrouting in one and prerouting and input in the other, where
# no netfilter hook ran before (the links also make the kernel take its netfilter hook path there).
# Usage: SECS=5 ROUNDS=5 WARMUP=5 bench/netfilter-cost.sh   (after `mvn -B -o package -DskipTests`)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || { echo "build the agent first: mvn -B -o package -DskipTests" >&2; exit 1; }
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
bench_net_up
log=$(mktemp)
AB_LOG=$log agent_ab defaults "" "with --netfilter-times" "--netfilter-times"

echo "== run time per invocation (--bpf-stats), iperf3 load"
ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
start_agent "$log" --netfilter-times --bpf-stats --duration $(( ${SECS:-5} + 4 ))
echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
wait "$AGENT_PID" || true
sed -n '/BPF PROGRAM/,$p' "$log"
rm -f "$log"
