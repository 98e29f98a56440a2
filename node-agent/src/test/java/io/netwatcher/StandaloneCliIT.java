package io.netwatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.deploy.Chart;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent as a user runs it: `java -jar netwatcher-agent.jar --standalone ...`, JSON
 * lines on stdout with the documented fields, stopping after --count packet events.
 */
class StandaloneCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("netwatcher.jar", "target/netwatcher-agent.jar"));
        Kernel.require(Files.isRegularFile(jar), "packaged agent " + jar + " (mvn package)");
        return jar;
    }

    private static Process launch(Path out, String... args) throws Exception {
        return launch(out, List.of(), args);
    }

    private static Process launch(Path out, List<String> jvmOptions, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(new File(out + ".err")).start();
    }

    @Test
    void countStopsAfterNPacketEventsWithTheDocumentedFields() throws Exception {
        int port = 24620;
        Path out = Files.createTempFile("nw-cli", ".jsonl");
        try (TestNet net = TestNet.create()) {
            Process agent = launch(out, "--standalone", "--count", "25", "--dport", Integer.toString(port),
                    "--duration", "60", "--all", "--interval", "0.5");
            waitForStart(out);
            // IPv6 traffic to `port`: the client socket's remote port, so its packets pass the filter.
            TcpExchange.run(net, true, port, 2_000_000, 100_000);
            assertTrue(agent.waitFor(40, TimeUnit.SECONDS), "agent stops by itself after --count");
            assertEquals(0, agent.exitValue(), Files.readString(Path.of(out + ".err")));

            List<JsonNode> events = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                events.add(JSON.readTree(line)); // every line is one JSON object
            }
            List<JsonNode> packets = events.stream().filter(e -> e.get("type").asText().equals("packet")).toList();
            assertEquals(25, packets.size(), "exactly --count packet events");
            for (JsonNode p : packets) {
                for (String f : List.of("time", "direction", "family", "src", "dst", "seq", "ack", "len", "layers_us",
                        "total_us", "cookie")) {
                    assertTrue(p.has(f), "packet field " + f + ": " + p);
                }
                assertEquals("ipv6", p.get("family").asText());
                assertTrue(p.get("src").asText().startsWith("[2001:db8:"), p.toString());
                assertTrue(p.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"));
                String local = p.get("direction").asText().equals("tx") ? p.get("dst").asText() : p.get("src").asText();
                assertTrue(local.endsWith("]:" + port), "--dport keeps the client socket's traffic: " + p);
            }
            List<JsonNode> conns = events.stream().filter(e -> e.get("type").asText().equals("connection")).toList();
            assertFalse(conns.isEmpty(), "connection events");
            for (JsonNode c : conns) {
                for (String f : List.of("event", "src", "dst", "role", "cookie", "srtt_us", "cwnd", "ssthresh", "rwnd",
                        "bytes_sent", "bytes_received", "retransmits", "fast_retransmits", "timeout_retransmits",
                        "backlog", "max_backlog", "sndbuf", "wmem_queued", "duration_ms")) {
                    assertTrue(c.has(f), "connection field " + f + ": " + c);
                }
            }
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(Path.of(out + ".err"));
        }
    }

    @Test
    void tableOutputAndDurationStopTheAgent() throws Exception {
        Path out = Files.createTempFile("nw-cli", ".txt");
        try {
            Process agent = launch(out, "--standalone", "--output", "table", "--duration", "2");
            assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "--duration stops the agent");
            assertEquals(0, agent.exitValue(), Files.readString(Path.of(out + ".err")));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(Path.of(out + ".err"));
        }
    }

    @Test
    void aPlainJavaJarWarnsThatTheHeapIsUnboundedAndTheChartsOptionsBoundIt() throws Exception {
        Path out = Files.createTempFile("nw-cli", ".txt");
        Path err = Path.of(out + ".err");
        Path options = Chart.dir().resolve("jvm.options");
        try {
            Process plain = launch(out, "--standalone", "--output", "table", "--duration", "1");
            assertTrue(plain.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, plain.exitValue(), Files.readString(err));
            List<String> warnings = Files.readAllLines(err).stream().filter(l -> l.contains("heap is not bounded"))
                    .toList();
            assertEquals(1, warnings.size(), "one warning: " + Files.readString(err));
            assertTrue(warnings.get(0).contains(" WARN ") && warnings.get(0).contains(
                    "java " + Files.readString(options).strip() + " -jar"), "it names the options: " + warnings);

            // The argument file ./dev.sh passes: the launcher reads it, the heap is bounded, no warning.
            Process bounded = launch(out, List.of("@" + options), "--standalone", "--output", "table", "--duration",
                    "1");
            assertTrue(bounded.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, bounded.exitValue(), Files.readString(err));
            assertFalse(Files.readString(err).contains("heap is not bounded"), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void theJarServesMetricsAndExportsOverOtlpConfiguredByTheEnvironment() throws Exception {
        Path out = Files.createTempFile("nw-cli", ".jsonl");
        int metricsPort = io.netwatcher.testing.Ports.free();
        try (io.netwatcher.testing.OtlpReceiver rx = io.netwatcher.testing.OtlpReceiver.grpc()) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-jar", jar().toString(), "--standalone", "--sample", "0", "--metrics-port",
                    Integer.toString(metricsPort), "--metrics-address", "127.0.0.1", "--duration", "60"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                    .redirectError(new File(out + ".err"));
            pb.environment().put("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint());
            pb.environment().put("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
            pb.environment().put("OTEL_METRIC_EXPORT_INTERVAL", "500");
            pb.environment().put("OTEL_RESOURCE_ATTRIBUTES", "k8s.cluster.name=env-cluster,deployment.environment=ci");
            Process agent = pb.start();
            try {
                waitForStart(out);
                java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                java.net.http.HttpResponse<String> ready = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + metricsPort + "/readyz")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ready.statusCode(), ready.body());
                String metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(metrics.contains("netwatcher_boundary_attached{boundary=\"rx.driver\""), metrics);
                assertTrue(metrics.contains("netwatcher_ringbuf_records_lost_total "), metrics);
                rx.await(r -> r.latest("netwatcher.packet.layer.duration") != null, 30_000,
                        "kernel metrics over OTLP/gRPC");
                java.util.Map<String, String> res = io.netwatcher.testing.OtlpReceiver.attrs(
                        rx.latest("netwatcher.packet.layer.duration").resource().getAttributesList());
                assertEquals("netwatcher", res.get("service.name"));
                assertEquals("env-cluster", res.get("k8s.cluster.name"), "OTEL_RESOURCE_ATTRIBUTES: " + res);
                assertEquals("ci", res.get("deployment.environment"));
                assertTrue(res.containsKey("service.version") && res.containsKey("host.name"), res.toString());
            } finally {
                agent.destroy(); // SIGTERM: a clean stop
                assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
            }
            assertEquals(0, agent.exitValue(), "a clean stop on SIGTERM: " + Files.readString(Path.of(out + ".err")));
            assertTrue(Files.readString(Path.of(out + ".err")).contains("probes detached"));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(Path.of(out + ".err"));
        }
    }

    private static void waitForStart(Path out) throws Exception {
        Path err = Path.of(out + ".err");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(err) && Files.readString(err).contains("netwatcher running")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent did not start: " + (Files.exists(err) ? Files.readString(err) : ""));
    }
}
