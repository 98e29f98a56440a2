#!/usr/bin/env bash
# Cost of the TCP state times, which run per connection (not per packet): a short-connection
# workload (N connect + 1 byte + close from 2 threads over veth, ConnPeer churn), in rounds that
# alternate without the agent, with its defaults (connect latency and handshake failures
# aggregated in the kernel, no state events) and with -S (an event per transition, printed);
# the median wall time of the workload per mode, and the state-change program's average run time
# (--bpf-stats) with and without -S, and its run time per connection of the workload (all its runs'
# time / N: the per-connect cost of what runs once per connection, such as the connect count).
# With BASE_JAR=<another build's jar> a fourth mode runs that agent (e.g. the branch point, without
# the state times) with its defaults.
# Usage (after mvn -B -o verify -DskipITs, which builds the jar and the test classes):
#   ROUNDS=5 N=3000 [BASE_JAR=/tmp/base.jar] bench/tcp-states.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
AGENT_PID=
SERVER_PID=
trap 'stop_agent; kill "$SERVER_PID" 2>/dev/null || true; bench_net_down' EXIT
rounds=${ROUNDS:-5}
n=${N:-3000}
port=24900
cp=node-agent/target/test-classes
peer="java -Xshare:auto -XX:TieredStopAtLevel=1 -cp $cp io.netwatcher.testing.ConnPeer"
[ -f "$JAR" ] && [ -d "$cp" ] || { echo "build first: mvn -B -o verify -DskipITs" >&2; exit 1; }

bench_net_up
ip netns exec "$NS_B" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65000"
ip netns exec "$NS_A" $peer serve "$ADDR_A" "$port" >/dev/null &
SERVER_PID=$!
sleep 1

churn_ms() { # the workload's wall time in ms
  local t0 t1 out
  t0=$(date +%s%N)
  out=$(ip netns exec "$NS_B" $peer churn "$ADDR_A" "$port" "$n" 2)
  t1=$(date +%s%N)
  [ "$out" = "done $n" ] || { echo "churn: $out" >&2; exit 1; }
  echo $(( (t1 - t0) / 1000000 ))
}

state_prog_ns() { # avg run time of the state-change program from the agent's --bpf-stats table
  awk '/tp_inet_sock_set_state/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) v = $i} END {print v}' "$1"
}

state_prog_per_conn() { # the state-change program's run time (RUN TIME column) per workload connection, ns
  awk -v n="$n" '$1 == "tp_inet_sock_set_state" {printf "%d", $3 / n}' "$1"
}

declare -A times
declare -A prog
declare -A conn
log=$(mktemp)
modes="none ${BASE_JAR:+base }default states"
for r in $(seq 1 "$rounds"); do
  for mode in $modes; do
    case $mode in
      none) ms=$(churn_ms) ;;
      base) JAR=$BASE_JAR start_agent "$log" --bpf-stats --cpu-budget 0; ms=$(churn_ms); stop_agent
            prog[$mode]+="$(state_prog_ns "$log") "; conn[$mode]+="$(state_prog_per_conn "$log") " ;;
      default) start_agent "$log" --bpf-stats --cpu-budget 0; ms=$(churn_ms); stop_agent
               prog[$mode]+="$(state_prog_ns "$log") "; conn[$mode]+="$(state_prog_per_conn "$log") " ;;
      states) start_agent "$log" --bpf-stats --cpu-budget 0 -S; ms=$(churn_ms); stop_agent
              prog[$mode]+="$(state_prog_ns "$log") "; conn[$mode]+="$(state_prog_per_conn "$log") " ;;
    esac
    times[$mode]+="$ms "
    echo "round $r $mode: $ms ms"
  done
done
rm -f "$log"

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "== $n short connections x $rounds rounds (median wall ms; state-change program avg ns, ns per connection)"
for mode in $modes; do
  echo "$mode: $(echo "${times[$mode]}" | median) ms  [${times[$mode]}]  prog: $(echo "${prog[$mode]:-}" | median) ns [${prog[$mode]:-}]  per connection: $(echo "${conn[$mode]:-}" | median) ns [${conn[$mode]:-}]"
done
