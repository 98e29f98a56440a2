package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netwatcher.config.ExportConfig;
import io.netwatcher.event.Direction;
import io.netwatcher.names.DropReasons;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TelemetryTest {
    static ExportConfig config(Optional<String> endpoint, Optional<String> cluster) {
        return ExportConfig.builder().metrics("127.0.0.1", 0).otlpEndpoint(endpoint.orElse(null))
                .metricExportIntervalMs(1000L).clusterName(cluster.orElse(null)).maxSeries(100).build();
    }

    @Test
    void withoutAnEndpointNoSignalIsExportedOverOtlp() {
        Map<String, String> p = Telemetry.overrides(config(Optional.empty(), Optional.empty()),
                DefaultConfigProperties.createFromMap(Map.of()));
        assertEquals("none", p.get("otel.metrics.exporter"));
        assertEquals("none", p.get("otel.traces.exporter"));
        assertEquals("1000", p.get("otel.metric.export.interval"));
    }

    @Test
    void anEndpointFromTheCliOrTheEnvironmentTurnsOtlpOn() {
        Map<String, String> cli = Telemetry.overrides(config(Optional.of("http://127.0.0.1:4318"), Optional.empty()),
                DefaultConfigProperties.createFromMap(Map.of()));
        assertEquals("otlp", cli.get("otel.metrics.exporter"));
        assertEquals("http://127.0.0.1:4318", cli.get("otel.exporter.otlp.endpoint"));
        Map<String, String> env = Telemetry.overrides(config(Optional.empty(), Optional.empty()),
                DefaultConfigProperties.createFromMap(Map.of("otel.exporter.otlp.traces.endpoint", "http://c:4318/v1/traces")));
        assertEquals("none", env.get("otel.metrics.exporter"), "only traces have an endpoint");
        assertEquals("otlp", env.get("otel.traces.exporter"));
        Map<String, String> named = Telemetry.overrides(config(Optional.empty(), Optional.empty()),
                DefaultConfigProperties.createFromMap(Map.of("otel.metrics.exporter", "logging")));
        assertFalse(named.containsKey("otel.metrics.exporter"), "an exporter the user named is kept");
    }

    @Test
    void theProtocolIsHttpProtobufUnlessTheCliOrTheEnvironmentSaysOtherwise() {
        ConfigProperties none = DefaultConfigProperties.createFromMap(Map.of());
        assertEquals("http/protobuf", Telemetry.overrides(config(Optional.of("http://c:4318"), Optional.empty()), none)
                .get("otel.exporter.otlp.protocol"), "the SDK alone would pick grpc");
        assertEquals("grpc", Telemetry.overrides(config(Optional.of("http://c:4317"), Optional.empty()),
                DefaultConfigProperties.createFromMap(Map.of("otel.exporter.otlp.protocol", "grpc")))
                .get("otel.exporter.otlp.protocol"));
        ExportConfig cli = ExportConfig.builder().metrics("127.0.0.1", 0).otlpEndpoint("http://c:4317")
                .otlpProtocol("grpc").maxSeries(100).build();
        assertEquals("grpc", Telemetry.overrides(cli, none).get("otel.exporter.otlp.protocol"));
    }

    @Test
    void kernelMetricsAndResourceReachThePrometheusRegistry() throws IOException {
        KernelMetricsTest.FakeKernel kernel = new KernelMetricsTest.FakeKernel();
        KernelMetricsTest.FakeCgroups labels = new KernelMetricsTest.FakeCgroups();
        labels.paths.put(3L, "/pod-x");
        kernel.hists.add(KernelMetricsTest.hist(3, Direction.TX, 0, 4_000, 9_000));
        KernelMetrics km = KernelMetrics.builder().source(kernel).identity(labels.resolver)
                .reasons(new DropReasons(Map.of())).maxSeries(100).version("t").clock(System::currentTimeMillis)
                .goneGraceNs(1).build();
        PrometheusRegistry registry = new PrometheusRegistry();
        try (Telemetry t = Telemetry.start(config(Optional.empty(), Optional.of("prod-eu")),
                Resource.create(Attributes.of(Attr.K8S_NODE, "node-1", Attr.K8S_CLUSTER, "from-agent")), km, registry,
                new ExportCounters(new SimpleMeterRegistry()))) {
            assertEquals("none", t.metricsExporter());
            assertFalse(t.tracing());
            t.meter("t").counterBuilder("netwatcher.test.sdk").build().add(3);
            String text = scrape(registry);
            assertTrue(text.contains("netwatcher_packet_layer_duration_seconds_count{k8s_cluster_name=\"prod-eu\","
                    + "k8s_node_name=\"node-1\",netwatcher_cgroup=\"/pod-x\",netwatcher_layer=\"tcp_ip\","
                    + "network_io_direction=\"transmit\",network_transport=\"tcp\"} 2"), text);
            assertTrue(text.contains("netwatcher_test_sdk_total{"), "SDK instruments too: " + text);
            assertTrue(text.contains("service_name=\"netwatcher\""), "target_info carries the resource: " + text);
        }
    }

    static String scrape(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    static HttpResponse<String> get(int port, String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theEndpointServesMetricsHealthAndReadiness() throws Exception {
        int port = io.netwatcher.testing.Ports.free();
        try (Export e = new Export(ExportConfig.builder().metrics("127.0.0.1", port).maxSeries(100)
                .build())) {
            assertEquals(port, e.port());
            assertEquals(200, get(port, "/healthz", null).statusCode());
            HttpResponse<String> ready = get(port, "/readyz", null);
            assertEquals(503, ready.statusCode(), "no probes yet");
            assertTrue(ready.body().contains("probes not attached"), ready.body());
            HttpResponse<String> text = get(port, "/metrics", null);
            assertEquals(200, text.statusCode());
            assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            assertTrue(text.body().contains("netwatcher_process_resident_memory_bytes "), text.body());
            assertTrue(text.body().contains("jvm_memory_used_bytes{"), "JVM metrics");
            double rss = Double.parseDouble(text.body().lines()
                    .filter(l -> l.startsWith("netwatcher_process_resident_memory_bytes ")).findFirst().orElseThrow()
                    .split(" ")[1]);
            assertTrue(rss > 10e6 && rss < 64e9, "RSS read from /proc: " + rss);
            HttpResponse<String> om = get(port, "/metrics",
                    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
            assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
            assertTrue(om.body().endsWith("# EOF\n"), "OpenMetrics when asked for");
            assertEquals(404, get(port, "/nope", null).statusCode());
            HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            // The port is taken now: a second agent says which option to change.
            IOException busy = assertThrows(IOException.class, () -> new Export(ExportConfig.builder()
                    .metrics("127.0.0.1", port).maxSeries(100).build()));
            assertTrue(busy.getMessage().contains("--metrics-port"), busy.getMessage());
        }
    }
}
