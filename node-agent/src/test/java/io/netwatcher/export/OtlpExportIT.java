package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.config.ExportConfig;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.names.DropReasons;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Nstat;
import io.netwatcher.testing.OtlpReceiver;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.resources.Resource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent exporting over OTLP (HTTP/protobuf and gRPC) to a collector in the test JVM that
 * decodes the wire format: metrics and spans of real traffic between two processes in their own
 * cgroups and network namespaces, checked against the bytes sent and the kernel's nstat counters.
 */
class OtlpExportIT {
    /*
     * The agent runs at nice 10: beside two nice-0 spinning loops and a qemu emulation (both cores
     * busy three times over) one gRPC wait took over 30 s. The values waited for are exact.
     */
    private static final long WAIT_MS = 60_000;
    private static final long BYTES = 3_000_000;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    /** The agent in this JVM, exporting to {@code endpoint}. */
    private record Running(AgentHarness harness, Export export, CgroupPaths paths) implements AutoCloseable {
        static Running start(Cgroups cg, String endpoint, String protocol, int port) throws Exception {
            AgentHarness h = AgentHarness.start(AgentHarness.testConfig());
            try {
                DropReasons reasons = DropReasons.fromBtf(Btf.vmlinux());
                CgroupPaths paths = new CgroupPaths(cg.root());
                Export e = new Export(ExportConfig.builder().metrics("127.0.0.1", port).otlpEndpoint(endpoint)
                        .otlpProtocol(protocol).metricExportIntervalMs(500L).clusterName("it-cluster").build());
                h.agent().setIdentity(IdentityResolver.standalone(paths));
                e.start(h.agent(), reasons, "it", Resource.create(Attributes.of(Attr.K8S_NODE, "node-it")));
                return new Running(h, e, paths);
            } catch (Exception | Error e) {
                h.close();
                throw e;
            }
        }

        @Override
        public void close() {
            export.close();
            harness.close();
        }
    }

    /** Two "pods": a server and a client process, each in its own cgroup and network namespace. */
    private record Exchange(String clientPath, String serverPath, Nstat clientBefore, Nstat clientAfter) {
    }

    private static Exchange exchange(TestNet net, Cgroups cg, int port, boolean loss) throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        Path serverCg = cg.create("netwatcher-it/otlp-server-" + tag);
        Path clientCg = cg.create("netwatcher-it/otlp-client-" + tag);
        if (loss) {
            net.a().nftTable();
            // Deterministic loss: every 25th segment to the server (random loss can miss a short transfer).
            net.a().nftRule("input", "tcp dport " + port + " numgen inc mod 25 == 7 drop");
        }
        Process server = Cgroups.startIn(serverCg, net.a().name(),
                TcpPeer.command("serve", net.a().ipv4(), "" + port).toArray(String[]::new));
        BufferedReader serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(),
                StandardCharsets.UTF_8));
        assertEquals("listening", serverOut.readLine());
        Nstat before = Nstat.of(net.b());
        Process client = Cgroups.startIn(clientCg, net.b().name(),
                TcpPeer.command("send", net.a().ipv4(), "" + port, "" + BYTES, "30", "30").toArray(String[]::new));
        assertTrue(client.waitFor(60, TimeUnit.SECONDS), "client finished");
        String clientOut = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, client.exitValue(), clientOut);
        assertEquals("sent " + BYTES, clientOut);
        Nstat after = Nstat.of(net.b());
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        assertEquals("received " + BYTES, serverOut.readLine());
        if (loss) {
            net.a().nftFlush();
        }
        return new Exchange("/" + cg.root().relativize(clientCg), "/" + cg.root().relativize(serverCg), before, after);
    }

    private static Map<String, String> attrs(NumberDataPoint p) {
        return OtlpReceiver.attrs(p.getAttributesList());
    }

    /** The latest value of a sum for the data points matching {@code p}, summed; -1 if none yet. */
    private static long sum(OtlpReceiver rx, String metric, Predicate<Map<String, String>> p) {
        OtlpReceiver.ReceivedMetric m = rx.latest(metric);
        if (m == null) {
            return -1;
        }
        List<NumberDataPoint> points = m.metric().getSum().getDataPointsList().stream()
                .filter(d -> p.test(attrs(d))).toList();
        return points.isEmpty() ? -1 : points.stream().mapToLong(NumberDataPoint::getAsInt).sum();
    }

    private static String points(OtlpReceiver rx, String metric) {
        OtlpReceiver.ReceivedMetric m = rx.latest(metric);
        return m == null ? "none" : m.metric().getSum().getDataPointsList().stream()
                .map(d -> attrs(d) + "=" + d.getAsInt()).toList().toString();
    }

    private static Optional<HistogramDataPoint> hist(OtlpReceiver rx, String cgroup, String direction, String layer) {
        OtlpReceiver.ReceivedMetric m = rx.latest(KernelMetrics.LAYER_DURATION);
        if (m == null) {
            return Optional.empty();
        }
        return m.metric().getHistogram().getDataPointsList().stream().filter(d -> {
            Map<String, String> a = OtlpReceiver.attrs(d.getAttributesList());
            return cgroup.equals(a.get("netwatcher.cgroup")) && direction.equals(a.get("network.io.direction"))
                    && layer.equals(a.get("netwatcher.layer"));
        }).findFirst();
    }

    private static Map<String, String> attrs(Span s) {
        return OtlpReceiver.attrs(s.getAttributesList());
    }

    @Test
    void metricsAndTracesOverOtlpHttpMatchTheTrafficAndTheKernel() throws Exception {
        int port = 24701;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); OtlpReceiver rx = OtlpReceiver.http();
             Running agent = Running.start(cg, rx.endpoint(), "http/protobuf", 0)) {
            long startEpochNs = System.currentTimeMillis() * 1_000_000L;
            Exchange x = exchange(net, cg, port, true);
            long retransNstat = x.clientAfter().since(x.clientBefore(), "TcpRetransSegs");
            assertTrue(retransNstat > 0, "every 25th segment dropped caused retransmits (nstat)");

            // Bytes per "pod" and direction: exactly what the processes sent and read.
            Predicate<Map<String, String>> clientTx = a -> x.clientPath().equals(a.get("netwatcher.cgroup"))
                    && "transmit".equals(a.get("network.io.direction"));
            Predicate<Map<String, String>> serverRx = a -> x.serverPath().equals(a.get("netwatcher.cgroup"))
                    && "receive".equals(a.get("network.io.direction"));
            rx.await(r -> sum(r, "netwatcher.tcp.bytes", clientTx) == BYTES
                    && sum(r, "netwatcher.tcp.bytes", serverRx) == BYTES, WAIT_MS, () -> "tcp.bytes = " + BYTES
                    + " for the client (transmit) and the server (receive): " + points(rx, "netwatcher.tcp.bytes")
                    + " client " + x.clientPath());
            // Retransmitted segments of the client cgroup: the kernel's own count.
            Predicate<Map<String, String>> client = a -> x.clientPath().equals(a.get("netwatcher.cgroup"));
            rx.await(r -> sum(r, KernelMetrics.RETRANSMITS, client) == retransNstat, WAIT_MS,
                    () -> "client retransmits = nstat TcpRetransSegs " + retransNstat + ": "
                            + points(rx, KernelMetrics.RETRANSMITS));
            assertEquals(1, sum(rx, KernelMetrics.OPENED, a -> client.test(a) && "client".equals(a.get(
                    "netwatcher.connection.role"))));
            rx.await(r -> sum(r, KernelMetrics.CLOSED, client) == 1, WAIT_MS, "the client connection closed");

            // Per-layer histograms of both pods, with the kernel's log2 buckets in seconds.
            rx.await(r -> hist(r, x.serverPath(), "receive", "socket").isPresent()
                    && hist(r, x.clientPath(), "transmit", "tcp_ip").isPresent(), WAIT_MS, "layer histograms");
            HistogramDataPoint sock = hist(rx, x.serverPath(), "receive", "socket").orElseThrow();
            assertTrue(sock.getCount() > 0);
            assertEquals(31, sock.getExplicitBoundsCount());
            assertEquals(2e-9, sock.getExplicitBounds(0), 1e-18);
            assertEquals(sock.getCount(), sock.getBucketCountsList().stream().mapToLong(Long::longValue).sum());
            assertTrue(sock.getStartTimeUnixNano() > 0 && sock.getTimeUnixNano() >= sock.getStartTimeUnixNano());

            // The resource.
            Map<String, String> res = OtlpReceiver.attrs(rx.latest(KernelMetrics.LAYER_DURATION).resource()
                    .getAttributesList());
            assertEquals("netwatcher", res.get("service.name"));
            assertEquals("it-cluster", res.get("k8s.cluster.name"));
            assertEquals("node-it", res.get("k8s.node.name"));

            // Traces: packets of the client with a child span per layer inside the packet's span.
            rx.await(r -> r.spans().stream().anyMatch(s -> s.span().getName().equals("tcp connection")
                    && x.clientPath().equals(attrs(s.span()).get("netwatcher.cgroup"))), WAIT_MS,
                    "the client's connection span");
            List<Span> spans = rx.spans().stream().map(OtlpReceiver.ReceivedSpan::span).toList();
            List<Span> packets = spans.stream().filter(s -> s.getName().equals("packet transmit")
                    && x.clientPath().equals(attrs(s).get("netwatcher.cgroup"))
                    && ("" + port).equals(attrs(s).get("network.peer.port"))).toList();
            assertFalse(packets.isEmpty(), "packet traces of the client");
            Span root = packets.get(packets.size() / 2);
            assertTrue(root.getParentSpanId().isEmpty(), "the packet span is the trace's root");
            assertTrue(root.getStartTimeUnixNano() >= startEpochNs - 1_000_000_000L,
                    "kernel time mapped to wall time: " + root.getStartTimeUnixNano() + " vs " + startEpochNs);
            assertTrue(root.getEndTimeUnixNano() <= System.currentTimeMillis() * 1_000_000L);
            List<Span> layers = spans.stream().filter(s -> s.getTraceId().equals(root.getTraceId())
                    && s.getParentSpanId().equals(root.getSpanId())).toList();
            assertFalse(layers.isEmpty(), "layer spans under the packet span");
            for (Span l : layers) {
                assertTrue(List.of("tcp_ip", "qdisc", "driver").contains(l.getName()), l.getName());
                assertTrue(l.getStartTimeUnixNano() >= root.getStartTimeUnixNano()
                        && l.getEndTimeUnixNano() <= root.getEndTimeUnixNano(), "inside the packet's span");
            }
            assertTrue(spans.stream().anyMatch(s -> s.getName().equals("packet receive")
                    && x.serverPath().equals(attrs(s).get("netwatcher.cgroup"))), "packet traces of the server");

            // The client's connection: one span from connect to close with its retransmits as events.
            Span conn = spans.stream().filter(s -> s.getName().equals("tcp connection")
                    && x.clientPath().equals(attrs(s).get("netwatcher.cgroup"))).findFirst().orElseThrow();
            assertEquals(Span.SpanKind.SPAN_KIND_CLIENT, conn.getKind());
            assertEquals("" + BYTES, attrs(conn).get("netwatcher.tcp.bytes_sent"));
            assertEquals("" + retransNstat, attrs(conn).get("netwatcher.tcp.retransmits"));
            long retransEvents = conn.getEventsList().stream().filter(e -> e.getName().equals("retransmit")).count();
            assertTrue(retransEvents >= 1 && retransEvents <= Math.min(64, retransNstat),
                    retransEvents + " retransmit events for " + retransNstat + " retransmitted segments");
            assertTrue(conn.getEndTimeUnixNano() - conn.getStartTimeUnixNano() >= 29 * 30 * 1_000_000L,
                    "the connection lasted at least the sender's 29 pauses of 30 ms");
            assertTrue(rx.unexpected().isEmpty(), rx.unexpected().toString());
        }
    }

    private static long serverBytes(OtlpReceiver r, Exchange x) {
        return sum(r, "netwatcher.tcp.bytes", a -> x.serverPath().equals(a.get("netwatcher.cgroup"))
                && "receive".equals(a.get("network.io.direction")));
    }

    @Test
    void metricsAndTracesOverOtlpGrpc() throws Exception {
        int port = 24702;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); OtlpReceiver rx = OtlpReceiver.grpc();
             Running agent = Running.start(cg, rx.endpoint(), "grpc", 0)) {
            Exchange x = exchange(net, cg, port, false);
            rx.await(r -> serverBytes(r, x) == BYTES, WAIT_MS,
                    () -> "server bytes over gRPC: " + serverBytes(rx, x) + " of " + BYTES);
            rx.await(r -> r.spans().stream().anyMatch(s -> s.span().getName().equals("tcp connection")
                    && x.serverPath().equals(attrs(s.span()).get("netwatcher.cgroup"))
                    && s.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER), WAIT_MS, "the server's connection span");
            assertTrue(rx.unexpected().isEmpty(), rx.unexpected().toString());
        }
    }

    private static String scrape(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void awaitScrape(int port, Predicate<String> done, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        String text = scrape(port);
        while (!done.test(text)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out: " + what + "\n" + text.lines()
                        .filter(l -> l.startsWith("netwatcher_export") || l.startsWith("processedSpans")
                                || l.startsWith("queueSize")).toList());
            }
            Thread.sleep(500);
            text = scrape(port);
        }
    }

    /** The sum of the samples of one metric whose line contains every fragment. */
    static double sample(String text, String metric, String... fragments) {
        double total = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                boolean all = true;
                for (String f : fragments) {
                    all &= line.contains(f);
                }
                if (all) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    found = true;
                }
            }
        }
        return found ? total : -1;
    }

    @Test
    void aCollectorThatIsDownKeepsTheSpanQueueBoundedAndCountsDrops() throws Exception {
        Kernel.require(Sh.which("iperf3"), "iperf3 on PATH");
        int port = io.netwatcher.testing.Ports.free();
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); OtlpReceiver rx = OtlpReceiver.http();
             Running agent = Running.start(cg, rx.endpoint(), "http/protobuf", port)) {
            rx.down(true);
            long recordsBefore = agent.harness().agent().stats().recordsRead();
            Process server = new ProcessBuilder("ip", "netns", "exec", net.a().name(), "iperf3", "-s", "-1", "-p",
                    "24703").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(500);
            Process client = new ProcessBuilder("ip", "netns", "exec", net.b().name(), "iperf3", "-c",
                    net.a().ipv4(), "-p", "24703", "-t", "6").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            // The memory the outage can hold lives in the span queue: sample it while spans pile up.
            double maxQueue = -1;
            while (client.isAlive()) {
                maxQueue = Math.max(maxQueue, sample(scrape(port), "queueSize", "BatchSpanProcessor"));
                Thread.sleep(200);
            }
            assertEquals(0, client.waitFor(), "iperf3 client");
            server.waitFor(10, TimeUnit.SECONDS);
            // An export fails once the exporter's retries (with backoff) are spent.
            awaitScrape(port, t -> sample(t, "netwatcher_export_batches_total", "outcome=\"failure\"",
                    "signal=\"metrics\"") >= 1, "failed metric exports are counted");
            awaitScrape(port, t -> sample(t, "processedSpans_total", "dropped=\"true\"") > 0,
                    "spans the full queue could not take are counted by the SDK");
            maxQueue = Math.max(maxQueue, sample(scrape(port), "queueSize", "BatchSpanProcessor"));
            assertTrue(maxQueue >= 0, "the span queue's size is exported");
            assertTrue(maxQueue <= 2048, "the span queue is bounded: it held " + maxQueue);
            assertTrue(agent.harness().agent().isRunning(), "the agent keeps running");
            assertTrue(agent.harness().agent().stats().recordsRead() > recordsBefore + 10_000,
                    "and keeps reading the ring buffer");
            // The collector comes back: exports resume.
            int before = rx.metrics().size();
            rx.down(false);
            rx.await(r -> r.metrics().size() > before, WAIT_MS, "metrics once the collector is back");
        }
    }
}
