#!/usr/bin/env bash
# Java ring-buffer parse rate (records/s on one thread), JMH. Usage: bench/ring-parse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install >&2
mvn -B -q -pl node-agent dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
  -Dmdep.includeScope=test >&2
cp=$(cat node-agent/target/test-classpath.txt)
exec java -cp "node-agent/target/test-classes:node-agent/target/classes:$cp" org.openjdk.jmh.Main \
  'io.netwatcher.bpf.RingParseBenchmark' -t 1 "$@"
