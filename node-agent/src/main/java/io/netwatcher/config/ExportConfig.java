package io.netwatcher.config;

import java.util.Objects;
import java.util.Optional;

/**
 * Where metrics and traces go. The OTLP settings are overrides: what is not set here comes from the
 * standard {@code OTEL_*} environment variables (and {@code otel.*} system properties).
 *
 * @param metricsAddress          address of the HTTP endpoint (/metrics, /healthz, /readyz)
 * @param metricsPort             its port, 0 = no endpoint
 * @param otlpEndpoint            OTLP endpoint for metrics and traces (OTEL_EXPORTER_OTLP_ENDPOINT)
 * @param otlpProtocol            grpc or http/protobuf (OTEL_EXPORTER_OTLP_PROTOCOL)
 * @param metricExportIntervalMs  OTLP metric export period (OTEL_METRIC_EXPORT_INTERVAL)
 * @param clusterName             k8s.cluster.name resource attribute
 * @param maxSeries               series per metric before the overflow series takes the rest
 * @param livenessTimeoutMs       how long the event reader or output may be stuck before /healthz fails
 */
public record ExportConfig(String metricsAddress, int metricsPort, Optional<String> otlpEndpoint,
                           Optional<String> otlpProtocol, Optional<Long> metricExportIntervalMs,
                           Optional<String> clusterName, int maxSeries, long livenessTimeoutMs) {
    public static final int DEFAULT_PORT = 9990;
    public static final int DEFAULT_MAX_SERIES = 2000;
    /** Standalone: only this host's processes may read /metrics (it names every process's cgroup). */
    public static final String STANDALONE_ADDRESS = "127.0.0.1";
    /** Kubernetes: the scraper and the kubelet's probes reach the pod's address. */
    public static final String KUBERNETES_ADDRESS = "0.0.0.0";
    public static final long DEFAULT_LIVENESS_TIMEOUT_MS = 30_000;

    public ExportConfig {
        Objects.requireNonNull(metricsAddress, "metricsAddress");
        Objects.requireNonNull(otlpEndpoint, "otlpEndpoint");
        Objects.requireNonNull(otlpProtocol, "otlpProtocol");
        Objects.requireNonNull(metricExportIntervalMs, "metricExportIntervalMs");
        Objects.requireNonNull(clusterName, "clusterName");
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new IllegalArgumentException("metricsPort must be 0-65535");
        }
        if (maxSeries < 2) {
            throw new IllegalArgumentException("maxSeries must be >= 2");
        }
        if (livenessTimeoutMs < 1) {
            throw new IllegalArgumentException("livenessTimeoutMs must be > 0");
        }
    }

    /** With the default liveness timeout. */
    public ExportConfig(String metricsAddress, int metricsPort, Optional<String> otlpEndpoint,
                        Optional<String> otlpProtocol, Optional<Long> metricExportIntervalMs,
                        Optional<String> clusterName, int maxSeries) {
        this(metricsAddress, metricsPort, otlpEndpoint, otlpProtocol, metricExportIntervalMs, clusterName, maxSeries,
                DEFAULT_LIVENESS_TIMEOUT_MS);
    }

    /** Standalone defaults: endpoint on 127.0.0.1:{@link #DEFAULT_PORT}, OTLP from the environment only. */
    public static ExportConfig defaults() {
        return new ExportConfig(STANDALONE_ADDRESS, DEFAULT_PORT, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), DEFAULT_MAX_SERIES);
    }
}
