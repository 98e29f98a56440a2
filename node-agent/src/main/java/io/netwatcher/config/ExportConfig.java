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
 */
public record ExportConfig(String metricsAddress, int metricsPort, Optional<String> otlpEndpoint,
                           Optional<String> otlpProtocol, Optional<Long> metricExportIntervalMs,
                           Optional<String> clusterName, int maxSeries) {
    public static final int DEFAULT_PORT = 9990;
    public static final int DEFAULT_MAX_SERIES = 2000;

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
    }

    /** Defaults: endpoint on all addresses at {@link #DEFAULT_PORT}, OTLP from the environment only. */
    public static ExportConfig defaults() {
        return new ExportConfig("0.0.0.0", DEFAULT_PORT, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), DEFAULT_MAX_SERIES);
    }
}
