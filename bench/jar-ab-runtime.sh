#!/usr/bin/env bash
# Two builds of the agent side by side: BASE_JAR (e.g. the commit before a change) and this tree's
# jar, in ROUNDS alternating runs (base, this, base, this, ...). Every run: a fresh agent with
# --bpf-stats and the given AGENT_OPTS (default: the CLI defaults), SECS seconds of iperf3 between
# two namespaces over veth, then the agent's run-time table (from the kernel's bpf_stats). Prints,
# per program in PROGS, the average ns per run as median (min-max) over the rounds, for each build,
# and the iperf3 receiver Mbit/s the same way.
# Usage: BASE_JAR=path/to/base.jar [ROUNDS=5 SECS=10 AGENT_OPTS="--cpu-budget 0" PROGS="cg_ingress ..."] \
#          bench/jar-ab-runtime.sh     (after `mvn -B -o package -DskipTests`; run under the machine lock)
set -euo pipefail
[ -f "${BASE_JAR:-}" ] || { echo "BASE_JAR must name the other build's netwatcher-agent.jar" >&2; exit 1; }
BASE_JAR=$(realpath "$BASE_JAR")
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -f "$JAR" ] || { echo "build the agent first: mvn -B -o package -DskipTests" >&2; exit 1; }
AGENT_PID=
out=$(mktemp -d)
trap 'stop_agent; bench_net_down; rm -rf "$out"' EXIT
bench_net_up
secs=${SECS:-10}
rounds=${ROUNDS:-5}
progs=${PROGS:-"tp_netif_receive_skb cg_ingress tp_sk_data_ready tp_sock_recv_length tp_net_dev_queue"}
own_jar=$JAR

run() { # run NAME JAR ROUND
  JAR=$2
  # shellcheck disable=SC2086
  start_agent "$out/$1-$3.log" --bpf-stats --duration $(( secs + 4 )) ${AGENT_OPTS:-}
  ip netns exec "$NS_A" iperf3 -s -D -1 >/dev/null
  sleep 0.3
  local mbps
  mbps=$(iperf_mbps)
  wait "$AGENT_PID" || true
  AGENT_PID=
  echo "$mbps" > "$out/$1-$3.mbps"
  echo "round $3, $1: $mbps Mbit/s"
}

for r in $(seq 1 "$rounds"); do
  run base "$BASE_JAR" "$r"
  run this "$own_jar" "$r"
done

ns_per_run() { # ns_per_run NAME PROGRAM: median (min-max) of the average ns per run over the rounds
  local v=() f x
  for f in "$out/$1"-*.log; do
    x=$(sed -n '/BPF PROGRAM/,$p' "$f" | awk -v p="$2" '$1 == p && $4 != "-" {print $4}')
    [ -n "$x" ] && v+=("$x")
  done
  [ ${#v[@]} -gt 0 ] || { echo "-"; return; }
  printf '%s (%s-%s)' "$(median "${v[@]}")" "$(printf '%s\n' "${v[@]}" | sort -n | head -1)" \
    "$(printf '%s\n' "${v[@]}" | sort -n | tail -1)"
}

echo
printf '%-24s %26s %26s\n' "ns per run" base this
for p in $progs; do
  printf '%-24s %26s %26s\n' "$p" "$(ns_per_run base "$p")" "$(ns_per_run this "$p")"
done
for name in base this; do
  # shellcheck disable=SC2046
  m=$(median $(cat "$out/$name"-*.mbps))
  printf 'iperf3 %s: median %s Mbit/s (%s-%s)\n' "$name" "$m" "$(sort -n "$out/$name"-*.mbps | head -1)" \
    "$(sort -n "$out/$name"-*.mbps | tail -1)"
done
