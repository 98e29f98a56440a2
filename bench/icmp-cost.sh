#!/usr/bin/env bash
# The cost of ICMP (icmp.rx and icmp.tx inside tp_netif_receive_skb and tp_net_dev_queue, icmp.read
# a program of its own) to TCP traffic: iperf3 over veth with the agent run with --no-icmp and with
# its defaults, alternating, medians; then one run with --bpf-stats for the programs' run time per
# invocation under the same load (every ICMP check there is a TCP packet leaving at the protocol).
# Usage: SECS=5 ROUNDS=5 WARMUP=5 bench/icmp-cost.sh   (after `mvn -B -o package -DskipTests`)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || { echo "build the agent first: mvn -B -o package -DskipTests" >&2; exit 1; }
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
bench_net_up
log=$(mktemp)
AB_LOG=$log agent_ab --no-icmp "--no-icmp" "with ICMP programs" ""

echo "== run time per invocation (--bpf-stats), iperf3 load"
ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
start_agent "$log" --bpf-stats --duration $(( ${SECS:-5} + 4 ))
echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
wait "$AGENT_PID" || true
sed -n '/BPF PROGRAM/,$p' "$log"
rm -f "$log"
