#!/usr/bin/env bash
# Latency anomaly detector: cost of one interval of 2,000 series (the default --max-series), JMH,
# with the chart's JVM options. Builds in the reactor (nothing is installed). Usage: bench/anomaly.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
  -Dmdep.includeScope=test >&2
cp="node-agent/target/test-classes:node-agent/target/classes:$(cat node-agent/target/test-classpath.txt)"
java -cp "$cp" org.openjdk.jmh.Main 'io.netwatcher.anomaly.AnomalyBenchmark' -t 1 \
  -jvmArgsAppend "$(grep -v '^#' helm/netwatcher/jvm.options | tr '\n' ' ')" "$@"
