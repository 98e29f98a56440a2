package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.anomaly.AnomalyConfig;
import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.cost.CostConfig;
import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.Layer;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import io.netwatcher.output.JsonEventFormatter;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.PacedPeer;
import io.netwatcher.testing.Ports;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Latency anomalies against a step the test injects into a steady load between two test "pods"
 * (processes in cgroups of their own, in two network namespaces): 8 writes of 1000 bytes every
 * 16 ms. The steady load is not flagged; a token-bucket shaper on the sender's link (queueing in its qdisc)
 * is flagged on the sender's transmit qdisc layer, a reader that starts to wait between reads on
 * the reader's receive socket layer. The agent reads every second; a series warms up for 8
 * intervals. The steps are three orders of magnitude above the steady p99 (tens of
 * microseconds) and the checks are on who, direction and layer, not on values, so a busy machine
 * does not make them fail; with the detection broken (nothing flagged, or the wrong layer) they do.
 * The packaged agent, run from its command line, prints the step and counts it on /metrics.
 */
class LatencyAnomalyIT {
    /**
     * 1 s: a reader that the busy machine holds off the CPU for a few milliseconds delays fewer than
     * 1 % of an interval's packets, so the p99 of a steady load stays put (at 200 ms it would not).
     */
    private static final long INTERVAL_NS = 1_000_000_000L;
    private static final AnomalyConfig ANOMALIES = new AnomalyConfig(true, AnomalyConfig.DEFAULT_SENSITIVITY, 8, 50,
            AnomalyConfig.DEFAULT_MIN_RISE_NS, 100);
    /** The steady phase after the warm-up, in which nothing may be flagged. */
    private static final long STEADY_MS = 5000;
    private static final Duration STEP_WAIT = Duration.ofSeconds(15);

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    /** The two pods: a reader in host A, a sender in host B, each in a cgroup of its own. */
    private record Pods(Process server, Process client, BufferedReader serverOut, long serverCg, long clientCg,
                        String clientPath) {
        void stop() throws InterruptedException {
            client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Pods start(TestNet net, Cgroups cg, int port) throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        Path serverGroup = cg.create("netwatcher-it/anomaly-" + tag + "/server");
        Path clientGroup = cg.create("netwatcher-it/anomaly-" + tag + "/client");
        // Both on one CPU: a packet a qdisc holds back is sent by a timer or a later transmit of the CPU
        // that queued it, and the probes follow a packet from the device layer to the driver on one CPU
        // (docs/architecture.md). The reader runs real-time (SCHED_FIFO): a busy machine does not make
        // the steady load's receive socket layer (wake-up to read) jump from one interval to the next.
        List<String> serve = new ArrayList<>(List.of("chrt", "-f", "1", "taskset", "-c", "0"));
        serve.addAll(TcpPeer.java(PacedPeer.class, "serve", net.a().ipv4(), "" + port));
        Process server = Cgroups.startIn(serverGroup, net.a().name(), serve.toArray(String[]::new));
        Process client = null;
        try {
            BufferedReader serverOut = reader(server);
            assertEquals("listening", serverOut.readLine());
            List<String> send = new ArrayList<>(List.of("taskset", "-c", "0"));
            send.addAll(TcpPeer.java(PacedPeer.class, "send", net.a().ipv4(), "" + port, "1000", "8", "16"));
            client = Cgroups.startIn(clientGroup, net.b().name(), send.toArray(String[]::new));
            assertEquals("connected", reader(client).readLine());
            assertEquals("accepted", serverOut.readLine());
            return new Pods(server, client, serverOut, Cgroups.id(serverGroup), Cgroups.id(clientGroup),
                    "/" + cg.root().relativize(clientGroup));
        } catch (Exception | AssertionError e) {
            if (client != null) {
                client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Waits until the layer has been learned (the warm-up: its summaries have had enough packets in
     * as many intervals) and then for the steady phase, in which nothing of either pod may be flagged.
     */
    private static void steady(AgentHarness h, Pods p, long cgroup, Direction d, Layer layer) throws Exception {
        h.await(LatencyEvent.class, l -> warm(h, cgroup, d, layer), Duration.ofSeconds(30),
                "a warm-up of " + ANOMALIES.warmup() + " intervals of " + d + " " + layer + " of cgroup " + cgroup);
        Thread.sleep(STEADY_MS);
        List<AnomalyEvent> early = h.events(AnomalyEvent.class,
                a -> a.cgroupId() == p.serverCg() || a.cgroupId() == p.clientCg());
        assertEquals(List.of(), early, () -> "a steady load is not an anomaly; " + early.stream()
                .map(a -> timeline(h, a.cgroupId(), a.layer())).distinct().toList());
    }

    private static boolean warm(AgentHarness h, long cgroup, Direction d, Layer layer) {
        return h.events(LatencyEvent.class, l -> l.cgroupId() == cgroup && l.histogram().direction() == d
                && l.histogram().layer() == layer && l.histogram().count() >= ANOMALIES.minSamples()).size()
                > ANOMALIES.warmup();
    }

    /**
     * Segments the size TCP writes them on the sender's link (no TSO/GSO): a shaper would cut larger
     * ones in software, into packets the probes did not see start.
     */
    private static void unsegmented(TestNet net) {
        net.b().exec("ethtool", "-K", net.b().iface(), "tso", "off", "gso", "off");
    }

    /**
     * The step: a token bucket of 6 Mbit/s with a one-packet bucket on the sender's link, above the
     * load's 4 Mbit/s (nothing dropped, the load goes on), but each 8 kB burst drains for about
     * 11 ms, its packets waiting in the qdisc. Removed by {@link #unshape}.
     */
    private static void shape(TestNet net) {
        net.b().exec("tc", "qdisc", "add", "dev", net.b().iface(), "root", "tbf", "rate", "6mbit", "burst", "1600",
                "limit", "30000");
    }

    private static void unshape(TestNet net) {
        net.b().tryExec("tc", "qdisc", "del", "dev", net.b().iface(), "root");
    }

    @Test
    void queueingInTheSendersQdiscIsATransmitQdiscAnomalyOfTheSender() throws Exception {
        int port = 24680;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder().sampleEvery(0).build(),
                     CostConfig.none(), ANOMALIES, INTERVAL_NS)) {
            String dev = net.b().iface();
            unsegmented(net);
            Pods p = start(net, cg, port);
            try {
                steady(h, p, p.clientCg(), Direction.TX, Layer.TX_QDISC);

                shape(net);
                AnomalyEvent a;
                try {
                    a = h.await(AnomalyEvent.class, x -> x.cgroupId() == p.clientCg() && x.layer() == Layer.TX_QDISC,
                            STEP_WAIT, "a tx qdisc anomaly of the sender");
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; " + timeline(h, p.clientCg(), Layer.TX_QDISC) + "; "
                            + net.b().exec("tc", "-s", "qdisc", "show", "dev", dev), e);
                }
                System.out.println("LatencyAnomalyIT qdisc step: " + json(a, cg) + "; "
                        + timeline(h, p.clientCg(), Layer.TX_QDISC));
                assertEquals(Direction.TX, a.direction());
                assertTrue(a.observedNs() > 250_000 && a.expectedNs() < a.observedNs() / 10,
                        "the interval's p99 " + a.observedNs() + " ns, usually " + a.expectedNs() + " ns");
                String stats = net.b().exec("tc", "-s", "qdisc", "show", "dev", dev);
                assertTrue(stats.contains("tbf") && !stats.contains("overlimits 0 "),
                        "the kernel's own view: the shaper held packets back: " + stats);
                assertTrue(h.events(AnomalyEvent.class, x -> x.cgroupId() == p.clientCg()
                                && x.direction() == Direction.RX).isEmpty(), "nothing on the sender's receive side");
            } finally {
                unshape(net);
                p.stop();
            }
        }
    }

    @Test
    void aSlowReaderIsAReceiveSocketAnomalyOfTheReader() throws Exception {
        int port = 24682;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder().sampleEvery(0).build(),
                     CostConfig.none(), ANOMALIES, INTERVAL_NS)) {
            Pods p = start(net, cg, port);
            try {
                steady(h, p, p.serverCg(), Direction.RX, Layer.RX_SOCKET);

                // The reader now reads every 100 ms: what arrives waits in the receive queue until then.
                p.server().getOutputStream().write("slow 100\n".getBytes(StandardCharsets.UTF_8));
                p.server().getOutputStream().flush();
                AnomalyEvent a;
                try {
                    a = h.await(AnomalyEvent.class, x -> x.cgroupId() == p.serverCg() && x.layer() == Layer.RX_SOCKET,
                            STEP_WAIT, "an rx socket anomaly of the reader");
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; " + timeline(h, p.serverCg(), Layer.RX_SOCKET), e);
                }
                System.out.println("LatencyAnomalyIT slow reader: " + json(a, cg) + "; "
                        + timeline(h, p.serverCg(), Layer.RX_SOCKET));
                assertEquals(Direction.RX, a.direction());
                assertTrue(a.observedNs() > 10_000_000 && a.expectedNs() < a.observedNs() / 10,
                        "the interval's p99 " + a.observedNs() + " ns, usually " + a.expectedNs() + " ns");
                assertTrue(h.events(AnomalyEvent.class, x -> x.cgroupId() == p.serverCg()
                        && x.direction() == Direction.TX).isEmpty(), "nothing on the reader's transmit side");
                assertTrue(h.events(AnomalyEvent.class, x -> x.cgroupId() == p.clientCg()
                        && x.layer() != Layer.TX_TCP_IP && x.layer() != Layer.TOTAL).isEmpty(),
                        "the sender's qdisc and driver did not change (only its writes may wait for the window)");
            } finally {
                p.stop();
            }
        }
    }

    /**
     * The packaged agent as a user runs it, with the anomaly options on its command line: the qdisc
     * step is an `anomaly` JSON line of the sender's cgroup and a count on /metrics
     * (netwatcher_latency_anomalies_total), and the detector's series are on /metrics too.
     */
    @Test
    void theCommandLineAgentPrintsTheAnomalyAndCountsItOnMetrics() throws Exception {
        int port = 24684;
        Path jar = Path.of(System.getProperty("netwatcher.jar", "target/netwatcher-agent.jar"));
        Kernel.require(Files.isRegularFile(jar), "packaged agent " + jar + " (mvn package)");
        Path out = Files.createTempFile("nw-anomaly", ".jsonl");
        Path err = Path.of(out + ".err");
        int metricsPort = Ports.free();
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups()) {
            unsegmented(net);
            Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", jar.toString(), "--standalone", "--interval", "1", "--events", "latency,anomaly",
                    "--sample", "0", "--anomaly-warmup", "" + ANOMALIES.warmup(), "--anomaly-min-samples",
                    "" + ANOMALIES.minSamples(), "--anomaly-sensitivity", "4", "--metrics-port", "" + metricsPort,
                    "--duration", "120").redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                awaitLog(err, "netwatcher running", agent);
                Pods p = start(net, cg, port);
                try {
                    String client = "\"cgroup\":\"" + p.clientPath() + "\"";
                    awaitLines(out, l -> l.contains("\"type\":\"latency\"") && l.contains("\"layer\":\"qdisc\"")
                            && l.contains(client), ANOMALIES.warmup() + 1, agent, "the sender's qdisc warm-up");
                    Thread.sleep(STEADY_MS);
                    assertEquals(List.of(), lines(out, l -> l.contains("\"type\":\"anomaly\"") && l.contains(client)),
                            "a steady load is not an anomaly");
                    shape(net);
                    String a = awaitLines(out, l -> l.contains("\"type\":\"anomaly\"") && l.contains(client)
                            && l.contains("\"layer\":\"qdisc\""), 1, agent, "the sender's qdisc anomaly").get(0);
                    JsonNode j = new ObjectMapper().readTree(a);
                    assertEquals("tx", j.get("direction").asText());
                    assertTrue(j.get("p99_us").asDouble() > j.get("band_p99_us").asDouble()
                            && j.get("band_p99_us").asDouble() > j.get("expected_p99_us").asDouble(), a);
                    String metrics = scrape(metricsPort);
                    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("netwatcher_latency_anomalies_total{")
                            && l.contains("netwatcher_cgroup=\"" + p.clientPath() + "\"")
                            && l.contains("netwatcher_layer=\"qdisc\"") && l.contains("network_io_direction=\"transmit\"")
                            && !l.endsWith(" 0") && !l.endsWith(" 0.0")),
                            "counted on /metrics: " + metrics.lines().filter(l -> l.contains("anomal")).toList());
                    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("netwatcher_anomaly_series ")
                            && Double.parseDouble(l.substring(l.indexOf(' ') + 1)) > 0), "the detector's series");
                } finally {
                    unshape(net);
                    p.stop();
                }
            } finally {
                agent.destroy(); // SIGTERM: a clean stop
                assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "the agent stops on SIGTERM");
                assertEquals(0, agent.exitValue(), Files.readString(err));
            }
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static void awaitLog(Path err, String what, Process agent) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && agent.isAlive()) {
            if (Files.exists(err) && Files.readString(err).contains(what)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent did not start: " + (Files.exists(err) ? Files.readString(err) : ""));
    }

    private static List<String> lines(Path out, Predicate<String> p) throws Exception {
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream().filter(p).toList();
    }

    private static List<String> awaitLines(Path out, Predicate<String> p, int n, Process agent, String what)
            throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && agent.isAlive()) {
            List<String> l = lines(out, p);
            if (l.size() >= n) {
                return l;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + what + "; " + lines(out, x -> x.contains("qdisc")));
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** The event as the agent prints it (standalone), for the test's output. */
    private static String json(AnomalyEvent a, Cgroups cg) {
        JsonEventFormatter f = new JsonEventFormatter(new MonotonicClock(), new KernelNames(new DropReasons(Map.of())));
        return f.format(a, IdentityResolver.standalone(new CgroupPaths(cg.root())).resolve(a));
    }

    /** The cgroup's per-interval p99 of a layer, in µs, for failure messages. */
    private static String timeline(AgentHarness h, long cgroup, Layer layer) {
        StringBuilder sb = new StringBuilder(layer + " p99 µs (count) per interval:");
        for (LatencyEvent l : h.events(LatencyEvent.class, x -> x.cgroupId() == cgroup && x.histogram().layer() == layer)) {
            sb.append(' ').append(l.histogram().quantileNs(0.99) / 1000).append('(').append(l.histogram().count())
                    .append(')');
        }
        return sb.toString();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }
}
