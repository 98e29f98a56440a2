#!/usr/bin/env bash
# Per-connect cost of the connect counts (tcpconnect -c) on the state-change program: N connect()
# calls to a closed port over veth (each refused by a RST: the client socket goes CLOSE -> SYN_SENT
# -> CLOSE, two runs of tp_inet_sock_set_state per call, and no server socket), in rounds that
# alternate this build and BASE_JAR (e.g. the branch point, without the counts), both with
# --bpf-stats --cpu-budget 0. Prints per mode the median of the program's run time per call (all its
# runs' time / N) and of its average run time.
# Usage (after mvn -B -o verify -DskipITs, which builds the jar and the test classes):
#   ROUNDS=7 N=3000 BASE_JAR=/tmp/base.jar bench/connect-count.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
AGENT_PID=
trap 'stop_agent; bench_net_down' EXIT
rounds=${ROUNDS:-7}
n=${N:-3000}
port=24909
cp=node-agent/target/test-classes
peer="java -Xshare:auto -XX:TieredStopAtLevel=1 -cp $cp io.netwatcher.testing.ConnPeer"
[ -f "$JAR" ] && [ -d "$cp" ] && [ -f "${BASE_JAR:-}" ] || { echo "build first, and set BASE_JAR" >&2; exit 1; }

bench_net_up
calls() { # N refused calls; checks the client's own tally
  local out
  out=$(ip netns exec "$NS_B" $peer attempts "$ADDR_A" "$port" "$n")
  [ "$out" = "connected 0 refused $n other 0" ] || { echo "attempts: $out" >&2; exit 1; }
}
prog() { # "<ns per call> <avg ns per run>" of the state-change program from the --bpf-stats table
  awk -v n="$n" '$1 == "tp_inet_sock_set_state" {printf "%d %s", $3 / n, $4}' "$1"
}

declare -A per_call
declare -A avg
log=$(mktemp)
for r in $(seq 1 "$rounds"); do
  for mode in base this; do
    if [ "$mode" = base ]; then JAR=$BASE_JAR start_agent "$log" --bpf-stats --cpu-budget 0
    else start_agent "$log" --bpf-stats --cpu-budget 0; fi
    calls
    stop_agent
    read -r c a <<<"$(prog "$log")"
    per_call[$mode]+="$c "
    avg[$mode]+="$a "
    echo "round $r $mode: $c ns per call, $a ns per run"
  done
done
rm -f "$log"

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "== $n refused connect() calls x $rounds rounds (state-change program: median ns per call; median avg ns per run)"
for mode in base this; do
  echo "$mode: $(echo "${per_call[$mode]}" | median) ns per call [${per_call[$mode]}]  $(echo "${avg[$mode]}" | median) ns per run [${avg[$mode]}]"
done
