#!/usr/bin/env bash
# The cost of the ICMP programs (icmp.rx, icmp.tx, icmp.read) to TCP traffic: iperf3 over veth with
# the agent run with --no-icmp and with its defaults (ICMP programs loaded), alternating, medians;
# then one run with --bpf-stats for the programs' run time per invocation under the same load
# (every invocation there is a TCP packet leaving at the protocol check).
# Usage: SECS=5 ROUNDS=5 WARMUP=5 bench/icmp-cost.sh   (after `mvn -B -o package -DskipTests`)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || { echo "build the agent first: mvn -B -o package -DskipTests" >&2; exit 1; }
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
bench_net_up
log=$(mktemp)
off=()
on=()
measure() { # measure [agent options]
  start_agent "$log" "$@"
  sleep "${WARMUP:-5}"
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null; sleep 0.3
  iperf_mbps
  stop_agent
}
for r in $(seq 1 "${ROUNDS:-5}"); do
  off+=("$(measure --no-icmp)")
  on+=("$(measure)")
  echo "round $r: --no-icmp ${off[-1]} Mbit/s, with ICMP programs ${on[-1]} Mbit/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mo=$(median "${off[@]}")
mi=$(median "${on[@]}")
awk -v a="$mo" -v b="$mi" 'BEGIN { printf "median --no-icmp %.0f Mbit/s, with ICMP programs %.0f Mbit/s: %.1f%%\n", a, b, 100 * b / a }'

echo "== run time per invocation (--bpf-stats), iperf3 load"
ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
start_agent "$log" --bpf-stats --duration $(( ${SECS:-5} + 4 ))
echo "iperf3 over veth during the run: $(iperf_mbps) Mbit/s"
wait "$AGENT_PID" || true
sed -n '/BPF PROGRAM/,$p' "$log"
rm -f "$log"
