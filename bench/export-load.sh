#!/usr/bin/env bash
# The agent's resident memory and CPU on a busy node: PODS pods (kubelet cgroups, known to an API
# server), CONNS connections between them on loopback, MSGS request/response exchanges per second
# (each one data segment each way: 2 x MSGS payload segments per second), the agent in Kubernetes
# mode with its defaults, Prometheus-style scrapes of /metrics every 15 s, and with OTLP=1 also
# OTLP metrics and traces to a receiver. Measures the agent process only (utime+stime, VmRSS)
# over SECS seconds after WARMUP seconds.
# JAVA_OPTS are the agent JVM's options (default: those of the container image).
# DIAG=DIR: after the measured window, saves where the memory goes into DIR (jcmd VM.native_memory
# summary when JAVA_OPTS has -XX:NativeMemoryTracking=summary, heap before and after a full GC,
# threads, /proc/PID/smaps and status) and the per-thread CPU of the window.
# Usage: PODS=200 CONNS=10000 MSGS=5000 WARMUP=30 SECS=60 OTLP=0 AGENT_OPTS="" [DIAG=dir] bench/export-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=node-agent/target/netwatcher-agent.jar
PODS=${PODS:-200}
CONNS=${CONNS:-10000}
MSGS=${MSGS:-5000}
PORT=${PORT:-9991}
BASE_PORT=${BASE_PORT:-31000}
# The jar, the test classes and their class path, built in one reactor run (the agent module's
# dependency on the bpf module resolves inside it: nothing needs to be installed in ~/.m2).
if [ ! -f "$JAR" ] || [ ! -f node-agent/target/test-classpath.txt ]; then
  mvn -B -q -DskipTests package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt >&2
fi
CP="node-agent/target/test-classes:node-agent/target/classes:$(cat node-agent/target/test-classpath.txt)"
ulimit -n "$(ulimit -Hn)" # 10,000 sockets per generator process
work=$(mktemp -d)
API_PID= SRV_PID= CLI_PID= AGENT_PID=
cleanup() {
  for p in $CLI_PID $SRV_PID $AGENT_PID; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $CLI_PID $SRV_PID $AGENT_PID; do wait "$p" 2>/dev/null || true; done
  exec 3>&- # closes the API server's stdin: it stops and removes the cgroups
  [ -n "$API_PID" ] && wait "$API_PID" 2>/dev/null || true
  grep -h "otlp requests" "$work/api.out" >&2 2>/dev/null || true
  echo "agent warnings (first 5 distinct):" >&2
  grep -E " (WARN|ERROR) " "$work/agent.err" 2>/dev/null | grep -v " libbpf - " | cut -c25- | sort | uniq -c | sort -rn | head -5 >&2 || true
  if [ -n "${KEEP:-}" ]; then cp -r "$work" "$KEEP"; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/api-in"
java -cp "$CP" io.netwatcher.export.ExportLoad api "$PODS" 2000 bench-node "$work/kubeconfig" "$work/cgroups" \
  <"$work/api-in" >"$work/api.out" 2>"$work/api.err" &
API_PID=$!
exec 3>"$work/api-in"
for _ in $(seq 1 600); do grep -q ready "$work/api.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/api.out" || { cat "$work/api.err" >&2; exit 1; }
otlp=$(awk '/^otlp / {print $2}' "$work/api.out")

java -cp "$CP" io.netwatcher.export.ExportLoad servers "$work/cgroups" "$BASE_PORT" >"$work/srv.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 300); do grep -q listening "$work/srv.out" 2>/dev/null && break; sleep 0.1; done

extra=()
if [ "${OTLP:-0}" = 1 ]; then
  extra=(--otlp-endpoint "$otlp" --metric-export-interval 15)
fi
# shellcheck disable=SC2086
java ${JAVA_OPTS:-} -jar "$JAR" --kubeconfig "$work/kubeconfig" --node-name bench-node --kube-pod-selection client-filter \
  --metrics-port "$PORT" "${extra[@]}" ${AGENT_OPTS:-} >/dev/null 2>"$work/agent.err" &
AGENT_PID=$!
for _ in $(seq 1 600); do grep -q "netwatcher running" "$work/agent.err" 2>/dev/null && break; sleep 0.1; done
grep -q "netwatcher running" "$work/agent.err" || { cat "$work/agent.err" >&2; exit 1; }
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "localhost:$PORT/readyz")" = 200 ] && break; sleep 0.1
done

java -cp "$CP" io.netwatcher.export.ExportLoad clients "$work/cgroups" "$BASE_PORT" $((CONNS / PODS)) "$MSGS" 100 \
  >"$work/cli.out" 2>&1 &
CLI_PID=$!
for _ in $(seq 1 600); do grep -q connected "$work/cli.out" 2>/dev/null && break; sleep 0.1; done
echo "$(cat "$work/cli.out"); agent pid $AGENT_PID" >&2

scrape_loop() { while true; do curl -s "localhost:$PORT/metrics" >"$work/metrics.txt"; sleep 15; done; }
scrape_loop &
SCRAPER=$!
sleep "${WARMUP:-30}"
kill -0 "$AGENT_PID" 2>/dev/null || { echo "the agent died:" >&2; tail -20 "$work/agent.err" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$AGENT_PID/stat"; }
threads() { # "ticks name" per thread of the agent
  for t in /proc/"$AGENT_PID"/task/*; do
    echo "$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0) $(tr ' ' '_' <"$t/comm" 2>/dev/null)"
  done
}
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
threads >"$work/threads0"
n0=$(nstat -az TcpInSegs | awk '/TcpInSegs/ {print $2}')
rss_max=0; rss_sum=0; samples=0
for _ in $(seq 1 "${SECS:-60}"); do
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
  rss_sum=$((rss_sum + rss)); samples=$((samples + 1))
  [ "$rss" -gt "$rss_max" ] && rss_max=$rss
done
t1=$(ticks); s1=$(date +%s.%N)
threads >"$work/threads1"
n1=$(nstat -az TcpInSegs | awk '/TcpInSegs/ {print $2}')
kill "$SCRAPER" 2>/dev/null || true
curl -s "localhost:$PORT/metrics" >"$work/metrics.txt"
if [ -n "${DIAG:-}" ]; then
  mkdir -p "$DIAG"
  cp "/proc/$AGENT_PID/status" "$DIAG/status"
  cp "/proc/$AGENT_PID/smaps" "$DIAG/smaps"
  jcmd "$AGENT_PID" VM.native_memory summary >"$DIAG/nmt.txt" 2>&1 || true
  jcmd "$AGENT_PID" GC.heap_info >"$DIAG/heap.txt" 2>&1 || true
  jcmd "$AGENT_PID" Thread.print >"$DIAG/threads.txt" 2>&1 || true
  jcmd "$AGENT_PID" VM.flags -all 2>/dev/null | grep -E ' (MaxHeapSize|MaxMetaspaceSize|ReservedCodeCacheSize|ThreadStackSize|CICompilerCount|TieredStopAtLevel|MaxDirectMemorySize) ' >"$DIAG/flags.txt" || true
  jcmd "$AGENT_PID" GC.run >/dev/null 2>&1 || true
  jcmd "$AGENT_PID" GC.heap_info >"$DIAG/heap-after-gc.txt" 2>&1 || true
  jcmd "$AGENT_PID" GC.class_histogram 2>&1 | head -60 >"$DIAG/class-histogram.txt" || true
  jcmd "$AGENT_PID" VM.metaspace >"$DIAG/metaspace.txt" 2>&1 || true
  awk -v hz="$hz" -v secs="${SECS:-60}" 'NR == FNR { a[$2] += $1; next } { b[$2] += $1 }
    END { for (n in b) printf "%8.3f%% %s\n", 100 * (b[n] - a[n]) / hz / secs, n }' \
    "$work/threads0" "$work/threads1" | sort -rn >"$DIAG/thread-cpu.txt"
fi
series=$(grep -c '^netwatcher_packet_layer_duration_seconds_bucket' "$work/metrics.txt" || true)
pods=$(grep '^netwatcher_packet_layer_duration_seconds_count' "$work/metrics.txt" | grep -o 'k8s_pod_name="[^"]*"' \
  | sort -u | wc -l)
awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v hz="$hz" -v n0="$n0" -v n1="$n1" -v mx="$rss_max" \
  -v sum="$rss_sum" -v n="$samples" -v series="$series" -v pods="$pods" 'BEGIN {
  secs = s1 - s0
  printf "window %.0f s: %.0f TCP segments/s on the node (nstat TcpInSegs), %d pods with layer histograms, %d histogram bucket series\n", secs, (n1 - n0) / secs, pods, series
  printf "agent CPU %.2f%% of one core; RSS mean %.0f MiB, max %.0f MiB\n", 100 * (t1 - t0) / hz / secs, sum / n / 1024, mx / 1024 }'
echo "busiest threads (% of one core; JVM threads of one name summed):" >&2
awk -v hz="$hz" -v secs="${SECS:-60}" 'NR == FNR { a[$2] += $1; next } { b[$2] += $1 }
  END { for (n in b) { d = b[n] - a[n]; if (d > 0) printf "  %6.2f%% %s\n", 100 * d / hz / secs, n } }' \
  "$work/threads0" "$work/threads1" | sort -rn | head -10 >&2
grep -E '^netwatcher_ringbuf_records_(read|lost)_total|^netwatcher_events_capped_total|^jvm_memory_used_bytes\{area="heap"' \
  "$work/metrics.txt" | sed 's/^/  /' >&2 || true
