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

    /** Standalone defaults: endpoint on 127.0.0.1:{@link #DEFAULT_PORT}, OTLP from the environment only. */
    public static ExportConfig defaults() {
        return builder().build();
    }

    /** The standalone defaults, to be changed. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an {@link ExportConfig}; what is not set keeps its default (OTLP: the environment's). */
    public static final class Builder {
        private String metricsAddress = STANDALONE_ADDRESS;
        private int metricsPort = DEFAULT_PORT;
        private String otlpEndpoint;
        private String otlpProtocol;
        private Long metricExportIntervalMs;
        private String clusterName;
        private int maxSeries = DEFAULT_MAX_SERIES;
        private long livenessTimeoutMs = DEFAULT_LIVENESS_TIMEOUT_MS;

        private Builder() {}

        /** The HTTP endpoint's address and port (0 = no endpoint). */
        public Builder metrics(String address, int port) {
            this.metricsAddress = address;
            this.metricsPort = port;
            return this;
        }

        public Builder otlpEndpoint(String endpoint) {
            this.otlpEndpoint = endpoint;
            return this;
        }

        /** grpc or http/protobuf. */
        public Builder otlpProtocol(String protocol) {
            this.otlpProtocol = protocol;
            return this;
        }

        public Builder metricExportIntervalMs(Long ms) {
            this.metricExportIntervalMs = ms;
            return this;
        }

        public Builder clusterName(String name) {
            this.clusterName = name;
            return this;
        }

        public Builder maxSeries(int maxSeries) {
            this.maxSeries = maxSeries;
            return this;
        }

        public Builder livenessTimeoutMs(long ms) {
            this.livenessTimeoutMs = ms;
            return this;
        }

        public ExportConfig build() {
            return new ExportConfig(metricsAddress, metricsPort, Optional.ofNullable(otlpEndpoint),
                    Optional.ofNullable(otlpProtocol), Optional.ofNullable(metricExportIntervalMs),
                    Optional.ofNullable(clusterName), maxSeries, livenessTimeoutMs);
        }
    }
}
