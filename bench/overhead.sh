#!/usr/bin/env bash
# What watching costs the workload: the same workloads, side by side in one run, in alternating
# rounds of these modes (MODES):
#   none   no tracing;
#   agent  `java -jar netwatcher-agent.jar --standalone` with the CLI defaults, JSON to a file;
#   chart  the agent with the chart's options: the options file of k8s/netwatcher.yaml (ConfigMap
#          key agent.args, passed as a picocli @-file) plus --standalone, the chart's JVM options
#          (helm/netwatcher/jvm.options, in JDK_JAVA_OPTIONS as the DaemonSet sets them) and the
#          DaemonSet's MALLOC_ARENA_MAX;
#   floor  empty BPF programs (bpf/floor.bpf.c) on exactly the hooks the agent attaches by
#          default, kernel.bpf_stats_enabled off: what any program on these hooks costs;
#   EXTRA_MODE="name:options" adds one more mode: the agent (CLI defaults) with these options.
# Every round starts each mode's agent or floor afresh, runs WARMUP seconds of iperf3 at RATE
# (also in `none`, so every mode sees the same sequence; it makes the agent's JIT compile its
# event path), then the workloads (WORKLOADS), each for SECS seconds:
#   iperf1    iperf3 TCP, 1 stream: receiver Mbit/s;
#   iperf4    iperf3 TCP, 4 streams (-P 4): receiver Mbit/s;
#   pingpong  sockperf ping-pong over TCP at MPS messages/s, MSG-byte messages: average and p99
#             latency (sockperf's own), and, as this is a fixed offered load, the CPU time spent
#             per round trip (less the sockperf client's user time: it busy-waits to pace its
#             messages) and the agent's own CPU;
#   wrk       wrk, 2 threads, 32 connections, against nginx serving a 1 KiB file: requests/s, p99;
#   rate      iperf3 TCP, 1 stream, at a fixed RATE (-b): the CPU time spent per GB received and
#             the agent's own CPU.
# CPU time, two ways, over the client's run: "machine" = user+nice+system+irq+softirq+steal of
# /proc/stat (everything on the machine, so also whatever else runs on a shared machine); "bench"
# = the cgroup v2 this script moves itself into (servers, clients, agent or floor, and the softirq
# work done in their context; cpu.stat usage_usec) plus the ksoftirqd threads. Agent CPU =
# utime+stime of the agent (floor: the process holding the empty programs).
# The order of the modes rotates from round to round so drift spreads over all of them. Client
# and servers are in two network namespaces joined by veth (bench/lib.sh); nothing is pinned to
# a CPU (the agent competes with the workload for the two cores, as it would on a node).
# Prints the raw per-round numbers and a markdown table: per mode the median of the rounds with
# min-max, and relative to `none`.
#
# Usage (as root, from anywhere; take the machine lock on a shared machine):
#   flock /tmp/nw-machine.lock bench/overhead.sh
#   SECS=10 ROUNDS=3 WARMUP=10 MODES="none agent chart floor" \
#     WORKLOADS="iperf1 iperf4 pingpong wrk rate" MPS=20000 MSG=64 RATE=2G \
#     AGENT_OPTS="" EXTRA_MODE="" KEEP=/path/to/keep/raw bench/overhead.sh
# AGENT_OPTS are appended to the agent's options in the agent and chart modes (in chart mode they
# replace the file's line for the same option); the floor's hooks are those the agent attaches
# with AGENT_OPTS. KEEP=DIR copies the raw outputs (tool outputs, agent logs) there.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-10}
MODES=${MODES:-none agent chart floor}
WORKLOADS=${WORKLOADS:-iperf1 iperf4 pingpong wrk rate}
MPS=${MPS:-20000}
MSG=${MSG:-64}
RATE=${RATE:-2G}
AGENT_OPTS=${AGENT_OPTS:-}
EXTRA_MODE=${EXTRA_MODE:-}
SOCKPERF_PORT=11111
HTTP_PORT=8080
FLOOR_CLASS=io.netwatcher.probe.DispatchFloor

die() { echo "overhead.sh: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---- arguments -----------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (network namespaces, BPF)"
for v in SECS ROUNDS WARMUP MPS MSG; do
  is_uint "${!v}" && [ "${!v}" -gt 0 ] || die "$v must be a positive integer, not '${!v}'"
done
[[ $RATE =~ ^[0-9]+[KMG]?$ ]] || die "RATE must be an iperf3 -b rate such as 2G or 500M, not '$RATE'"
extra_name= extra_opts=
if [ -n "$EXTRA_MODE" ]; then
  [[ $EXTRA_MODE == *:* ]] || die "EXTRA_MODE must be name:options"
  extra_name=${EXTRA_MODE%%:*}
  extra_opts=${EXTRA_MODE#*:}
  [[ $extra_name =~ ^[a-z0-9_-]+$ ]] || die "EXTRA_MODE name must be [a-z0-9_-]+, not '$extra_name'"
  case $extra_name in none | agent | chart | floor) die "EXTRA_MODE name '$extra_name' is taken" ;; esac
  [[ " $MODES " == *" $extra_name "* ]] || MODES="$MODES $extra_name"
fi
read -r -a modes <<<"$MODES"
read -r -a workloads <<<"$WORKLOADS"
[ "${#modes[@]}" -gt 0 ] || die "MODES is empty"
[ "${#workloads[@]}" -gt 0 ] || die "WORKLOADS is empty"
for m in "${modes[@]}"; do
  case $m in none | agent | chart | floor) ;; *) [ "$m" = "$extra_name" ] || die "unknown mode '$m'" ;; esac
done
for w in "${workloads[@]}"; do
  case $w in iperf1 | iperf4 | pingpong | wrk | rate) ;; *) die "unknown workload '$w'" ;; esac
done
has_mode() { [[ " ${modes[*]} " == *" $1 "* ]]; }
has_work() { [[ " ${workloads[*]} " == *" $1 "* ]]; }
is_agent_mode() { [ "$1" = agent ] || [ "$1" = chart ] || { [ -n "$extra_name" ] && [ "$1" = "$extra_name" ]; }; }

# ---- tools, jar ----------------------------------------------------------------------------
need=(iperf3:iperf3 jq:jq readelf:binutils unzip:unzip ss:iproute2)
has_work pingpong && need+=(sockperf:sockperf)
has_work wrk && need+=(wrk:wrk nginx:nginx-light)
missing=()
for n in "${need[@]}"; do command -v "${n%%:*}" >/dev/null || missing+=("${n#*:}"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  flock /tmp/nw-apt.lock env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi
for n in "${need[@]}"; do command -v "${n%%:*}" >/dev/null || die "${n%%:*} missing after installing ${n#*:}"; done
floor_cls=node-agent/target/test-classes/${FLOOR_CLASS//.//}.class
if [ ! -f "$JAR" ] || { has_mode floor && [ ! -f "$floor_cls" ]; }; then
  echo "building the agent jar (mvn -B -q -o package -DskipTests)" >&2
  mvn -B -q -o package -DskipTests >&2
fi
[ -f "$JAR" ] || die "no $JAR after the build"

# ---- work dir, cgroup, cleanup -------------------------------------------------------------
WORK=$(mktemp -d /tmp/nw-overhead.XXXXXX)
# Run from copies: a build during the run must not change (or break) what is measured.
cp "$JAR" "$WORK/agent.jar"
JAR=$WORK/agent.jar
mkdir -p "$WORK/test-classes"
cp -r node-agent/target/test-classes/. "$WORK/test-classes/"
CG_ROOT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG_ROOT" ] || die "no cgroup v2 mount (needed for the bench's CPU time)"
CG_HOME=$CG_ROOT$(sed -n 's/^0:://p' /proc/self/cgroup)
CG=
PROC_PID= PROC_KIND= IPERF_SRV= SOCKPERF_SRV= NGINX_PID=
stop_pid() { # stop_pid PID NAME: SIGTERM, wait up to 20 s, then SIGKILL
  local pid=$1 name=$2
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name (pid $pid) ignored SIGTERM for 20 s: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$PROC_PID" "$PROC_KIND"
  stop_pid "$IPERF_SRV" "iperf3 server"
  stop_pid "$SOCKPERF_SRV" "sockperf server"
  stop_pid "$NGINX_PID" nginx
  bench_net_down
  if [ -n "$CG" ]; then
    echo $$ >"$CG_HOME/cgroup.procs" || echo "cannot move back to $CG_HOME" >&2
    rmdir "$CG" || echo "cannot remove the cgroup $CG: $(cat "$CG/cgroup.procs" 2>/dev/null | tr '\n' ' ')" >&2
  fi
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/ && echo "raw outputs kept in $KEEP" >&2; fi
  rm -rf "$WORK"
  [ "$rc" = 0 ] || echo "overhead.sh: failed (exit $rc)" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$CG_ROOT/nw-overhead-$$"
CG=$CG_ROOT/nw-overhead-$$
echo $$ >"$CG/cgroup.procs" # everything the bench starts from now on is counted in $CG

# ---- options of the modes ------------------------------------------------------------------
# The chart's agent options: the ConfigMap key agent.args of the rendered manifest, one per line.
awk '/^  agent\.args: \|/ {on = 1; next} on && /^    / {sub(/^    /, ""); print; next} on {exit}' \
  k8s/netwatcher.yaml >"$WORK/agent.args"
[ -s "$WORK/agent.args" ] || die "no agent.args in k8s/netwatcher.yaml"
# The chart's JVM options: helm/netwatcher/jvm.options (what agent.javaOpts "" stands for).
chart_java=$(tr -s ' \n' '  ' <helm/netwatcher/jvm.options | sed 's/^ *//; s/ *$//')
[ -n "$chart_java" ] || die "no JVM options in helm/netwatcher/jvm.options"
rendered_java=$(sed -n '/name: JDK_JAVA_OPTIONS/{n;s/^ *value: "\(.*\)"$/\1/p}' k8s/netwatcher.yaml)
[ "$rendered_java" = "$chart_java" ] || echo "note: k8s/netwatcher.yaml's JDK_JAVA_OPTIONS differ from helm/netwatcher/jvm.options (stale render?); using jvm.options" >&2
chart_arenas=$(sed -n '/name: MALLOC_ARENA_MAX/{n;s/^ *value: "\{0,1\}\([0-9]*\)"\{0,1\}$/\1/p}' helm/netwatcher/templates/daemonset.yaml)
# The metrics port: 9990 by default and in the chart; another only if 9990 is taken on this host.
port_free() { [ -z "$(ss -Hltn "sport = :$1")" ]; }
port_opts=()
if ! port_free 9990; then
  p=19990
  while ! port_free "$p"; do p=$((p + 1)); done
  port_opts=(--metrics-port "$p")
  sed -i "s/^--metrics-port.*/--metrics-port $p/" "$WORK/agent.args"
  echo "note: port 9990 is taken on this host: the agents serve /metrics on $p" >&2
fi
read -r -a agent_extra <<<"$AGENT_OPTS"
# Chart mode: an option given in AGENT_OPTS replaces the file's line (picocli refuses an option twice).
for o in "${agent_extra[@]}"; do
  [[ $o == --* ]] || continue
  name=${o%%=*}
  grep -q -- "^$name\( \|=\|$\)" "$WORK/agent.args" && sed -i "\#^$name\( \|=\|$\)#d" "$WORK/agent.args"
done
mode_args() { # the agent's arguments in agent mode MODE, one per line
  case $1 in
    agent) printf '%s\n' --standalone "${port_opts[@]}" "${agent_extra[@]}" ;;
    chart) printf '%s\n' "@$WORK/agent.args" --standalone "${agent_extra[@]}" ;;
    *) local e
      read -r -a e <<<"$extra_opts"
      printf '%s\n' --standalone "${port_opts[@]}" "${e[@]}" ;;
  esac
}

# ---- agent and floor -----------------------------------------------------------------------
ticks_of() { # utime+stime of PID in clock ticks (0 without a PID; a dead one is caught by alive_or_die)
  [ -n "$1" ] || { echo 0; return; }
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) } # fields after "(comm) "
  read -r -a f <<<"$s"
  echo $((f[11] + f[12])) # utime, stime: fields 14 and 15 of stat
}
alive_or_die() {
  [ -z "$PROC_PID" ] && return 0
  kill -0 "$PROC_PID" 2>/dev/null && return 0
  wait "$PROC_PID" 2>/dev/null && rc=0 || rc=$?
  echo "---- last lines of the $PROC_KIND log:" >&2
  tail -30 "$PROC_LOG" >&2 || true
  die "the $PROC_KIND (mode $MODE, round $ROUND) died (exit $rc) during $1"
}
start_mode() { # start_mode MODE: starts its agent or floor, waits until attached
  local mode=$1 i
  PROC_PID= PROC_KIND=
  PROC_LOG=$WORK/r$ROUND-$mode.log
  PROC_OUT=$WORK/r$ROUND-$mode.json
  if [ "$mode" = none ]; then return 0; fi
  if [ "$mode" = floor ]; then
    PROC_KIND=floor
    java -cp "$WORK/test-classes:$JAR" "$FLOOR_CLASS" "${FLOOR_HOOKS[@]}" >"$PROC_OUT" 2>"$PROC_LOG" &
    PROC_PID=$!
    for i in $(seq 1 300); do
      grep -qs "floor programs attached" "$PROC_LOG" && break
      alive_or_die "start-up"
      sleep 0.1
    done
    grep -q "floor programs attached" "$PROC_LOG" || die "the floor did not attach in 30 s"
    [ "$(sysctl -n kernel.bpf_stats_enabled)" = 0 ] || die "kernel.bpf_stats_enabled is on: the floor is meant without it"
    return 0
  fi
  PROC_KIND="agent ($mode)"
  mapfile -t args < <(mode_args "$mode")
  if [ "$mode" = chart ]; then
    env JDK_JAVA_OPTIONS="$chart_java" ${chart_arenas:+MALLOC_ARENA_MAX=$chart_arenas} \
      java -jar "$JAR" "${args[@]}" >"$PROC_OUT" 2>"$PROC_LOG" &
  else
    java -jar "$JAR" "${args[@]}" >"$PROC_OUT" 2>"$PROC_LOG" &
  fi
  PROC_PID=$!
  for i in $(seq 1 300); do
    grep -qs "netwatcher running" "$PROC_LOG" && break
    alive_or_die "start-up"
    sleep 0.1
  done
  grep -q "netwatcher running" "$PROC_LOG" || die "the agent ($mode) did not say 'netwatcher running' in 30 s"
}
stop_mode() { # stops the mode's process and records what the agent said about its run
  [ -n "$PROC_PID" ] || return 0
  alive_or_die "the measurements"
  stop_pid "$PROC_PID" "$PROC_KIND"
  PROC_PID=
  if [ "$MODE" != floor ]; then
    grep -q "probes detached" "$PROC_LOG" || echo "warning: agent ($MODE, round $ROUND) did not log 'probes detached'" >&2
    local lines bytes summary
    lines=$(wc -l <"$PROC_OUT")
    bytes=$(stat -c %s "$PROC_OUT")
    summary=$(grep -o "netwatcher stopping: .*" "$PROC_LOG" | head -1 || true)
    echo "    agent ($MODE): $lines JSON lines ($((bytes / 1024)) KiB) written; ${summary#netwatcher stopping: }"
    [ "$ROUND" = 0 ] || printf '%s\t%s\t%s\n' "$ROUND" "$MODE" "$lines" >>"$WORK/json-lines.tsv"
    grep -E " (WARN|ERROR) " "$PROC_LOG" | grep -v -e " libbpf - " -e " boundary " | cut -c25- | sort | uniq -c \
      | sort -rn | head -3 | sed 's/^/    agent warning: /' || true
    [ "$lines" -gt 0 ] || [ "$ROUND" = 0 ] || echo "warning: agent ($MODE, round $ROUND) wrote no JSON line" >&2
  fi
  rm -f "$PROC_OUT"
}

# ELF section of every program of a BPF object: "program section" per line.
prog_sections() {
  awk 'NR == FNR { if (match($0, /^ *\[ *[0-9]+\] [^ ]+/)) { s = substr($0, RSTART, RLENGTH)
        sub(/^ *\[ */, "", s); split(s, a, /\] /); sec[a[1]] = a[2] } next }
      $4 == "FUNC" && $5 == "GLOBAL" { print $8, sec[$7] }' <(readelf -SW "$1") <(readelf -sW "$1")
}
# The hooks an agent attached, from its "boundary X <- kind [programs]" log lines.
attached_hooks() { # attached_hooks LOG
  grep -E " INFO .* boundary " "$1" | sed -n 's/.*<- [a-z_]* \[\(.*\)\]$/\1/p' | tr ',' '\n' | tr -d ' ' \
    | awk 'NR == FNR { sec[$1] = $2; next } $0 != "" { if (!($0 in sec)) { print "?" $0; next }
      if (sec[$0] !~ /^iter\//) print sec[$0] }' <(prog_sections "$WORK/netwatcher.bpf.o") - | sort -u
}
unzip -p "$JAR" bpf/netwatcher.bpf.o >"$WORK/netwatcher.bpf.o"
unzip -p "$JAR" bpf/floor.bpf.o >"$WORK/floor.bpf.o"

# ---- network, servers, workloads -----------------------------------------------------------
bench_net_up
if has_work pingpong; then
  ip netns exec "$NS_A" sockperf server --tcp -i "$ADDR_A" -p "$SOCKPERF_PORT" >"$WORK/sockperf-server.log" 2>&1 &
  SOCKPERF_SRV=$!
fi
if has_work wrk; then
  ng=$WORK/nginx
  mkdir -p "$ng/html" "$ng/logs" "$ng/tmp"
  chmod o+x "$WORK" "$ng" # nginx's workers run as nobody: they read html/
  head -c 1024 /dev/zero | tr '\0' x >"$ng/html/index.html"
  cat >"$ng/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $ng/nginx.pid;
lock_file $ng/nginx.lock;
error_log $ng/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $ng/tmp/body;
  proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi;
  scgi_temp_path $ng/tmp/scgi;
  server {
    listen $ADDR_A:$HTTP_PORT;
    root $ng/html;
    location / { }
  }
}
EOF
  ip netns exec "$NS_A" nginx -e "$ng/logs/error.log" -p "$ng" -c "$ng/nginx.conf" >"$ng/logs/stdout.log" 2>&1 &
  NGINX_PID=$!
fi
listening() { [ -n "$(ip netns exec "$NS_A" ss -Hltn "sport = :$1")" ]; }
wait_listening() { # wait_listening PORT NAME PID
  for _ in $(seq 1 100); do
    listening "$1" && return 0
    kill -0 "$3" 2>/dev/null || die "$2 exited before listening on port $1"
    sleep 0.05
  done
  die "$2 is not listening on port $1 after 5 s"
}
[ -z "$SOCKPERF_SRV" ] || wait_listening "$SOCKPERF_PORT" "sockperf server" "$SOCKPERF_SRV"
[ -z "$NGINX_PID" ] || wait_listening "$HTTP_PORT" nginx "$NGINX_PID"

hz=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
cg_usec() { awk '$1 == "usage_usec" {print $2}' "$CG/cpu.stat"; }
mapfile -t KSOFTIRQD < <(ps -eo pid=,comm= | awk '$2 ~ /^ksoftirqd\// {print $1}')
[ "${#KSOFTIRQD[@]}" -gt 0 ] || die "no ksoftirqd threads found"
ksoftirqd_ticks() { local t=0 p; for p in "${KSOFTIRQD[@]}"; do t=$((t + $(ticks_of "$p"))); done; echo "$t"; }
now() { date +%s.%N; }
num() { # num NAME VALUE: VALUE must be a number, else fail with the tool's output
  [[ $2 =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] && return 0
  echo "---- $3:" >&2
  cat "$3" >&2
  die "no $1 in the output above (got '$2')"
}
rec() { # rec METRIC VALUE
  printf '%s\t%s\t%s\t%s\n' "$ROUND" "$MODE" "$1" "$2" >>"$WORK/raw.tsv"
  printf '    %-18s %s\n' "$1" "$2"
}
# Runs a client command in the client namespace, with the machine's and the agent's CPU ticks
# around it: sets WIN_SECS, WIN_MACHINE_S, WIN_AGENT_S and WIN_CLIENT_USER_S (the client's own
# user time, from bash's `time`).
measured() { # measured OUTFILE cmd...
  local out=$1 m0 a0 c0 k0 t0 m1 a1 c1 k1 t1 rc=0 TIMEFORMAT=%3U
  shift
  m0=$(machine_ticks); a0=$(ticks_of "$PROC_PID"); c0=$(cg_usec); k0=$(ksoftirqd_ticks); t0=$(now)
  { time ip netns exec "$NS_B" "$@" >"$out" 2>&1; } 2>"$out.user" || rc=$?
  m1=$(machine_ticks); a1=$(ticks_of "$PROC_PID"); c1=$(cg_usec); k1=$(ksoftirqd_ticks); t1=$(now)
  if [ "$rc" != 0 ]; then cat "$out" >&2; die "'$*' failed (exit $rc) in mode $MODE round $ROUND"; fi
  WIN_CLIENT_USER_S=$(tail -1 "$out.user")
  num "client user time" "$WIN_CLIENT_USER_S" "$out.user"
  WIN_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  WIN_MACHINE_S=$(awk -v d=$((m1 - m0)) -v hz="$hz" 'BEGIN {printf "%.3f", d / hz}')
  WIN_AGENT_S=$(awk -v d=$((a1 - a0)) -v hz="$hz" 'BEGIN {printf "%.3f", d / hz}')
  WIN_BENCH_S=$(awk -v c=$((c1 - c0)) -v k=$((k1 - k0)) -v hz="$hz" 'BEGIN {printf "%.3f", c / 1e6 + k / hz}')
}
iperf_run() { # iperf_run OUTFILE iperf3-client-options...: one-shot server, JSON result
  local out=$1
  shift
  ip netns exec "$NS_A" iperf3 -s -1 -B "$ADDR_A" >"$WORK/iperf3-server.log" 2>&1 &
  IPERF_SRV=$!
  wait_listening 5201 "iperf3 server" "$IPERF_SRV"
  measured "$out" iperf3 -c "$ADDR_A" -J "$@"
  wait "$IPERF_SRV" 2>/dev/null || true
  IPERF_SRV=
  local err
  err=$(jq -r '.error // empty' "$out" 2>/dev/null) || { cat "$out" >&2; die "iperf3 output is not JSON"; }
  [ -z "$err" ] || die "iperf3: $err"
}

w_iperf() { # w_iperf STREAMS METRIC
  local out=$WORK/r$ROUND-$MODE-$2.json v
  iperf_run "$out" -t "$SECS" -P "$1"
  v=$(jq -r '.end.sum_received.bits_per_second / 1e6 | . * 10 | round / 10' "$out")
  num "$2" "$v" "$out"
  rec "$2" "$v"
}
w_pingpong() {
  local out=$WORK/r$ROUND-$MODE-sockperf.txt clean avg p99 msgs
  measured "$out" sockperf ping-pong --tcp -i "$ADDR_A" -p "$SOCKPERF_PORT" --mps "$MPS" -m "$MSG" -t "$SECS"
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$out")
  avg=$(sed -n 's/.*avg-latency=\([0-9.]*\) .*/\1/p' <<<"$clean" | head -1)
  p99=$(sed -n 's/.*percentile 99\.000 = *\([0-9.]*\).*/\1/p' <<<"$clean" | head -1)
  msgs=$(sed -n 's/.*\[Total Run\].*ReceivedMessages=\([0-9]*\).*/\1/p' <<<"$clean" | head -1)
  num "sockperf average latency" "$avg" "$out"
  num "sockperf p99" "$p99" "$out"
  num "sockperf received messages" "$msgs" "$out"
  [ "$msgs" -gt 0 ] || die "sockperf received no message"
  rec pp_avg_us "$avg"
  rec pp_p99_us "$p99"
  rec pp_msgs_per_s "$(awk -v n="$msgs" -v s="$WIN_SECS" 'BEGIN {printf "%.0f", n / s}')"
  # The sockperf client busy-waits between messages to keep the rate: its user time is left out.
  rec pp_machine_cpu_s "$WIN_MACHINE_S"
  rec pp_bench_cpu_s "$WIN_BENCH_S"
  rec pp_client_user_s "$WIN_CLIENT_USER_S"
  rec pp_cpu_us_per_msg "$(awk -v c="$WIN_BENCH_S" -v u="$WIN_CLIENT_USER_S" -v n="$msgs" \
    'BEGIN {printf "%.2f", (c - u) * 1e6 / n}')"
  rec pp_machine_us_per_msg "$(awk -v c="$WIN_MACHINE_S" -v u="$WIN_CLIENT_USER_S" -v n="$msgs" \
    'BEGIN {printf "%.2f", (c - u) * 1e6 / n}')"
  rec pp_agent_cpu_pct "$(awk -v c="$WIN_AGENT_S" -v s="$WIN_SECS" 'BEGIN {printf "%.2f", 100 * c / s}')"
}
to_us() { # "3.41ms" -> 3410
  awk -v x="$1" 'BEGIN { if (match(x, /^[0-9.]+/)) { v = substr(x, 1, RLENGTH); u = substr(x, RLENGTH + 1)
      if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1e6; else exit
      printf "%.0f", v * f } }'
}
w_wrk() {
  local out=$WORK/r$ROUND-$MODE-wrk.txt rps p99 bad
  measured "$out" wrk -t 2 -c 32 -d "${SECS}s" --latency "http://$ADDR_A:$HTTP_PORT/index.html"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
  bad=$(awk '/Non-2xx or 3xx responses/ {print $NF}' "$out")
  [ -z "$bad" ] || { cat "$out" >&2; die "nginx answered $bad requests with an error"; }
  grep -q "Socket errors" "$out" && echo "    note: wrk reports $(grep "Socket errors" "$out" | sed 's/^ *//')"
  num "wrk requests/s" "$rps" "$out"
  num "wrk p99" "$p99" "$out"
  rec wrk_rps "$rps"
  rec wrk_p99_us "$p99"
}
w_rate() {
  local out=$WORK/r$ROUND-$MODE-rate.json bytes
  iperf_run "$out" -t "$SECS" -b "$RATE"
  bytes=$(jq -r '.end.sum_received.bytes' "$out")
  num "iperf3 received bytes" "$bytes" "$out"
  [ "$bytes" -gt 0 ] || die "iperf3 received nothing"
  rec rate_mbps "$(jq -r '.end.sum_received.bits_per_second / 1e6 | round' "$out")"
  rec rate_machine_cpu_s "$WIN_MACHINE_S"
  rec rate_bench_cpu_s "$WIN_BENCH_S"
  rec rate_cpu_s_per_gb "$(awk -v c="$WIN_BENCH_S" -v b="$bytes" 'BEGIN {printf "%.4f", c / (b / 1e9)}')"
  rec rate_machine_s_per_gb "$(awk -v c="$WIN_MACHINE_S" -v b="$bytes" 'BEGIN {printf "%.4f", c / (b / 1e9)}')"
  rec rate_agent_cpu_pct "$(awk -v c="$WIN_AGENT_S" -v s="$WIN_SECS" 'BEGIN {printf "%.2f", 100 * c / s}')"
}
warm_up() { # WARMUP seconds of iperf3 at RATE, in every mode
  iperf_run "$WORK/warmup.json" -t "$WARMUP" -b "$RATE"
}

# ---- the floor's hooks: those the agent attaches ---------------------------------------------
FLOOR_HOOKS=()
ROUND=0 MODE=probe
if has_mode floor || has_mode agent; then
  start_mode agent
  mapfile -t FLOOR_HOOKS < <(attached_hooks "$PROC_LOG")
  stop_mode >/dev/null
  [ "${#FLOOR_HOOKS[@]}" -gt 0 ] || die "no 'boundary' lines with attached programs in the agent's log"
  if printf '%s\n' "${FLOOR_HOOKS[@]}" | grep -q '^?'; then
    die "the agent attached programs not in netwatcher.bpf.o: ${FLOOR_HOOKS[*]}"
  fi
  lacking=$(comm -23 <(printf '%s\n' "${FLOOR_HOOKS[@]}" | sort) <(prog_sections "$WORK/floor.bpf.o" | awk '{print $2}' | sort -u))
  [ -z "$lacking" ] || die "bpf/floor.bpf.c has no empty program for hooks the agent attaches: $(echo $lacking)"
fi

# ---- the run ---------------------------------------------------------------------------------
per_work=$(((SECS + 1) * ${#workloads[@]}))
est=0
for m in "${modes[@]}"; do
  s=$((WARMUP + 1 + per_work))
  [ "$m" = none ] || s=$((s + 7)) # JVM start, load and attach, stop
  est=$((est + s * ROUNDS))
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | head -1)
echo "# overhead.sh $(date -u +%Y-%m-%dT%H:%MZ), commit $commit${dirty:+ (with uncommitted changes)}, $(uname -r), $(nproc) CPUs"
echo "# SECS=$SECS ROUNDS=$ROUNDS WARMUP=$WARMUP MODES=\"${modes[*]}\" WORKLOADS=\"${workloads[*]}\" MPS=$MPS MSG=$MSG RATE=$RATE AGENT_OPTS=\"$AGENT_OPTS\"${EXTRA_MODE:+ EXTRA_MODE=\"$EXTRA_MODE\"}"
echo "# agent: java -jar $JAR $(mode_args agent | tr '\n' ' ')"
echo "# chart: JDK_JAVA_OPTIONS=\"$chart_java\"${chart_arenas:+ MALLOC_ARENA_MAX=$chart_arenas} java -jar $JAR $(mode_args chart | tr '\n' ' ')"
echo "#        with the options file: $(tr '\n' ' ' <"$WORK/agent.args")"
[ -z "$extra_name" ] || echo "# $extra_name: java -jar $JAR $(mode_args "$extra_name" | tr '\n' ' ')"
[ "${#FLOOR_HOOKS[@]}" = 0 ] || echo "# floor: empty programs on the ${#FLOOR_HOOKS[@]} hooks the agent attached: $(echo "${FLOOR_HOOKS[@]}")"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); estimated run time ~$(((est + 59) / 60)) min"

start=$(date +%s)
for ROUND in $(seq 1 "$ROUNDS"); do
  # Rotate the order of the modes: round r starts with mode r.
  order=()
  n=${#modes[@]}
  for i in $(seq 0 $((n - 1))); do order+=("${modes[$(((i + ROUND - 1) % n))]}"); done
  echo "== round $ROUND/$ROUNDS: ${order[*]} ($(($(date +%s) - start)) s elapsed)"
  for MODE in "${order[@]}"; do
    echo "  -- $MODE"
    start_mode "$MODE"
    if is_agent_mode "$MODE"; then
      got=$(attached_hooks "$PROC_LOG" | tr '\n' ' ')
      want=$(printf '%s ' "${FLOOR_HOOKS[@]}")
      [ "${#FLOOR_HOOKS[@]}" = 0 ] || [ "$got" = "$want" ] || echo "    note: $MODE attached other hooks than the floor's: $got"
    fi
    warm_up
    alive_or_die "the warm-up"
    for w in "${workloads[@]}"; do
      case $w in
        iperf1) w_iperf 1 iperf1_mbps ;;
        iperf4) w_iperf 4 iperf4_mbps ;;
        pingpong) w_pingpong ;;
        wrk) w_wrk ;;
        rate) w_rate ;;
      esac
      alive_or_die "$w"
    done
    stop_mode
  done
done
echo "# run time $(($(date +%s) - start)) s; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- results -----------------------------------------------------------------------------
echo
echo "## raw per-round numbers"
echo
printf '| metric | mode |'
for r in $(seq 1 "$ROUNDS"); do printf ' round %s |' "$r"; done
printf '\n|---|---|'
for r in $(seq 1 "$ROUNDS"); do printf -- '---|'; done
printf '\n'
sort -t$'\t' -s -k3,3 "$WORK/raw.tsv" | awk -F'\t' -v R="$ROUNDS" '
  { v[$3, $2, $1] = $4; if (!(($3, $2) in seen)) { seen[$3, $2] = 1; k[++n] = $3 SUBSEP $2 } }
  END { for (i = 1; i <= n; i++) { split(k[i], a, SUBSEP); printf "| %s | %s |", a[1], a[2]
      for (r = 1; r <= R; r++) printf " %s |", ((a[1], a[2], r) in v) ? v[a[1], a[2], r] : "-"; printf "\n" } }'
echo
echo "## results (median of $ROUNDS rounds, min-max; relative to none)"
echo
# Median, min and max per metric and mode, in the order the metrics and modes were measured.
sort -t$'\t' -k3,3 -k2,2 -k4,4g "$WORK/raw.tsv" | awk -F'\t' '
  { key = $3 SUBSEP $2; n[key]++; val[key, n[key]] = $4 }
  END { for (k in n) { c = n[k]; split(k, a, SUBSEP)
      med = (c % 2) ? val[k, (c + 1) / 2] : (val[k, c / 2] + val[k, c / 2 + 1]) / 2
      printf "%s\t%s\t%s\t%s\t%s\n", a[1], a[2], med, val[k, 1], val[k, c] } }' >"$WORK/stats.tsv"
awk -F'\t' -v modes="${modes[*]}" -v mps="$MPS" -v rate="$RATE" -v msg="$MSG" '
  BEGIN {
    nm = split("iperf1_mbps iperf4_mbps pp_avg_us pp_p99_us pp_msgs_per_s wrk_rps wrk_p99_us pp_cpu_us_per_msg pp_machine_us_per_msg pp_agent_cpu_pct rate_cpu_s_per_gb rate_machine_s_per_gb rate_agent_cpu_pct", order, " ")
    label["iperf1_mbps"] = "iperf3 1 stream, Mbit/s"; fmt["iperf1_mbps"] = "%.0f"; kind["iperf1_mbps"] = "of"
    label["iperf4_mbps"] = "iperf3 4 streams, Mbit/s"; fmt["iperf4_mbps"] = "%.0f"; kind["iperf4_mbps"] = "of"
    label["pp_avg_us"] = "sockperf ping-pong " mps " msg/s, " msg " B, average us"; fmt["pp_avg_us"] = "%.1f"; kind["pp_avg_us"] = "plus"
    label["pp_p99_us"] = "same, p99 us"; fmt["pp_p99_us"] = "%.1f"; kind["pp_p99_us"] = "plus"
    label["pp_msgs_per_s"] = "same, round trips/s achieved"; fmt["pp_msgs_per_s"] = "%.0f"; kind["pp_msgs_per_s"] = "of"
    label["wrk_rps"] = "wrk -> nginx 1 KiB, 32 conn., requests/s"; fmt["wrk_rps"] = "%.0f"; kind["wrk_rps"] = "of"
    label["wrk_p99_us"] = "same, p99 us"; fmt["wrk_p99_us"] = "%.0f"; kind["wrk_p99_us"] = "plus"
    label["pp_cpu_us_per_msg"] = "CPU per ping-pong round trip, bench cgroup + ksoftirqd, us"; fmt["pp_cpu_us_per_msg"] = "%.1f"; kind["pp_cpu_us_per_msg"] = "plus"
    label["pp_machine_us_per_msg"] = "same, whole machine (/proc/stat), us"; fmt["pp_machine_us_per_msg"] = "%.1f"; kind["pp_machine_us_per_msg"] = "plus"
    label["pp_agent_cpu_pct"] = "agent CPU during ping-pong, % of a core"; fmt["pp_agent_cpu_pct"] = "%.2f"; kind["pp_agent_cpu_pct"] = "abs"
    label["rate_cpu_s_per_gb"] = "CPU per GB, iperf3 at " rate "bit/s, bench cgroup + ksoftirqd, s"; fmt["rate_cpu_s_per_gb"] = "%.3f"; kind["rate_cpu_s_per_gb"] = "plus"
    label["rate_machine_s_per_gb"] = "same, whole machine (/proc/stat), s"; fmt["rate_machine_s_per_gb"] = "%.3f"; kind["rate_machine_s_per_gb"] = "plus"
    label["rate_agent_cpu_pct"] = "agent CPU during iperf3 at " rate "bit/s, % of a core"; fmt["rate_agent_cpu_pct"] = "%.2f"; kind["rate_agent_cpu_pct"] = "abs"
    nmodes = split(modes, md, " ")
  }
  { med[$1, $2] = $3; lo[$1, $2] = $4; hi[$1, $2] = $5; have[$1] = 1 }
  END {
    printf "| workload, figure |"; for (j = 1; j <= nmodes; j++) printf " %s |", md[j]; printf "\n"
    printf "|---|"; for (j = 1; j <= nmodes; j++) printf "---|"; printf "\n"
    for (i = 1; i <= nm; i++) { m = order[i]; if (!(m in have)) continue
      printf "| %s |", label[m]
      for (j = 1; j <= nmodes; j++) { k = md[j]
        if (!((m, k) in med)) { printf " - |"; continue }
        f = fmt[m]; cell = sprintf(f " (" f "-" f ")", med[m, k], lo[m, k], hi[m, k])
        b = ((m, "none") in med) ? med[m, "none"] : ""
        if (k != "none" && b != "" && b + 0 != 0 && kind[m] == "of") cell = cell sprintf(", **%.1f %%** of none", 100 * med[m, k] / b)
        if (k != "none" && b != "" && b + 0 != 0 && kind[m] == "plus") cell = cell sprintf(", **%+.1f %%**", 100 * (med[m, k] / b - 1))
        printf " %s |", cell }
      printf "\n" } }' "$WORK/stats.tsv"
if [ -s "$WORK/json-lines.tsv" ]; then
  echo
  echo "JSON lines written per agent run (median): $(sort -t$'\t' -k2,2 -k3,3n "$WORK/json-lines.tsv" | awk -F'\t' \
    '{ n[$2]++; v[$2, n[$2]] = $3 } END { for (m in n) printf "%s %s; ", m, v[m, int((n[m] + 1) / 2)] }')"
fi
