#!/usr/bin/env bash
# Pod attribution: cost per event after warm-up (JMH) and memory of the pod caches for 10,000
# node pods and 100,000 cluster-wide pod IPs. Usage: bench/attribution.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install >&2
mvn -B -q -pl node-agent dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
  -Dmdep.includeScope=test >&2
cp="node-agent/target/test-classes:node-agent/target/classes:$(cat node-agent/target/test-classpath.txt)"
echo "== memory (heap retained after GC)"
java -Xmx1g -cp "$cp" io.netwatcher.kube.AttributionMemory 10000 100000 5000
echo "== cost per event after warm-up (JMH)"
java -cp "$cp" org.openjdk.jmh.Main 'io.netwatcher.kube.AttributionBenchmark' -t 1 "$@"
