package io.netwatcher.export;

import io.netwatcher.config.ExportConfig;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.export.MetricProducer;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry SDK as the agent runs it, configured the standard way ({@code OTEL_*}
 * environment variables, {@code otel.*} system properties) with the CLI's options on top:
 * <ul>
 *   <li>OTLP export (metrics and traces) only where an endpoint is configured or an exporter is
 *       named explicitly; no logs exporter;</li>
 *   <li>a Prometheus reader feeding the agent's own /metrics endpoint, always;</li>
 *   <li>the kernel's aggregates as a {@link MetricProducer} read by every reader;</li>
 *   <li>a cardinality limit on every instrument; exporters wrapped to count what they deliver.</li>
 * </ul>
 */
public final class Telemetry implements AutoCloseable {
    public static final String SCOPE = "io.netwatcher";

    private final OpenTelemetrySdk sdk;
    private final PrometheusMetricReader prometheus;
    private final String metricsExporter;
    private final String tracesExporter;

    private Telemetry(OpenTelemetrySdk sdk, PrometheusMetricReader prometheus, String metricsExporter,
                      String tracesExporter) {
        this.sdk = sdk;
        this.prometheus = prometheus;
        this.metricsExporter = metricsExporter;
        this.tracesExporter = tracesExporter;
    }

    /**
     * Starts the SDK.
     *
     * @param config      CLI overrides
     * @param resource    the agent's own resource attributes (node, host, version); the
     *                    environment's attributes win over them, {@code --cluster-name} wins over all
     * @param producer    the kernel metrics
     * @param registry    where the Prometheus reader is registered (the /metrics registry)
     * @param counters    counts exports and failures
     */
    public static Telemetry start(ExportConfig config, Resource resource, MetricProducer producer,
                                  PrometheusRegistry registry, ExportCounters counters) {
        PrometheusMetricReader prometheus = PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false)
                .setAllowedResourceAttributesFilter(a -> a.equals("k8s.node.name") || a.equals("k8s.cluster.name"))
                .build();
        String[] chosen = new String[2];
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of("otel.service.name", "netwatcher", "otel.logs.exporter", "none"))
                .addPropertiesCustomizer(c -> {
                    Map<String, String> p = overrides(config, c);
                    chosen[0] = p.getOrDefault("otel.metrics.exporter", c.getString("otel.metrics.exporter", "otlp"));
                    chosen[1] = p.getOrDefault("otel.traces.exporter", c.getString("otel.traces.exporter", "otlp"));
                    return p;
                })
                .addResourceCustomizer((r, c) -> {
                    Resource out = resource.merge(r);
                    return config.clusterName().map(n -> out.merge(Resource.create(
                            Attributes.of(Attr.K8S_CLUSTER, n)))).orElse(out);
                })
                .addMeterProviderCustomizer((b, c) -> b.registerMetricProducer(producer)
                        .registerMetricReader(prometheus)
                        .registerView(InstrumentSelector.builder().setName("*").build(),
                                View.builder().setCardinalityLimit(config.maxSeries()).build()))
                .addMetricExporterCustomizer((e, c) -> counters.wrap(e))
                .addSpanExporterCustomizer((e, c) -> counters.wrap(e))
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        registry.register(prometheus);
        return new Telemetry(sdk, prometheus, chosen[0], chosen[1]);
    }

    /**
     * The properties the CLI sets over the environment's: endpoint, protocol (http/protobuf unless
     * set), interval; and
     * "none" for a signal with no endpoint and no exporter named, so an agent without a collector
     * does not retry one on localhost forever.
     */
    static Map<String, String> overrides(ExportConfig config, ConfigProperties c) {
        Map<String, String> p = new HashMap<>();
        config.otlpEndpoint().ifPresent(e -> p.put("otel.exporter.otlp.endpoint", e));
        // The SDK's own default is grpc; the OTLP specification's (and ours, as documented) is
        // http/protobuf. A per-signal protocol the user set still wins over this general one.
        p.put("otel.exporter.otlp.protocol", config.otlpProtocol()
                .orElse(c.getString("otel.exporter.otlp.protocol", "http/protobuf")));
        config.metricExportIntervalMs().ifPresent(ms -> p.put("otel.metric.export.interval", Long.toString(ms)));
        boolean endpoint = config.otlpEndpoint().isPresent() || c.getString("otel.exporter.otlp.endpoint") != null;
        for (String signal : List.of("metrics", "traces")) {
            if (c.getString("otel." + signal + ".exporter") == null) {
                boolean own = c.getString("otel.exporter.otlp." + signal + ".endpoint") != null;
                p.put("otel." + signal + ".exporter", endpoint || own ? "otlp" : "none");
            }
        }
        return p;
    }

    public Meter meter(String version) {
        return sdk.getMeterProvider().meterBuilder(SCOPE).setInstrumentationVersion(version).build();
    }

    public Tracer tracer(String version) {
        return sdk.getTracerProvider().tracerBuilder(SCOPE).setInstrumentationVersion(version).build();
    }

    /** True when spans go anywhere (a traces exporter other than "none"). */
    public boolean tracing() {
        return !"none".equals(tracesExporter);
    }

    public String metricsExporter() {
        return metricsExporter;
    }

    public String tracesExporter() {
        return tracesExporter;
    }

    PrometheusMetricReader prometheusReader() {
        return prometheus;
    }

    /** Exports what is pending (final metrics, queued spans), waiting up to the timeout in all. */
    public void flush(long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        sdk.getSdkTracerProvider().forceFlush().join(timeoutMs, TimeUnit.MILLISECONDS);
        sdk.getSdkMeterProvider().forceFlush().join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        close(10_000);
    }

    /** Stops the SDK, waiting for its exporters up to the timeout (a collector that does not answer is left). */
    public void close(long timeoutMs) {
        sdk.shutdown().join(timeoutMs, TimeUnit.MILLISECONDS);
    }
}
