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
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
    private record Pods(Process server, Process client, BufferedReader serverOut, long serverCg, long clientCg) {
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
            return new Pods(server, client, serverOut, Cgroups.id(serverGroup), Cgroups.id(clientGroup));
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

    @Test
    void queueingInTheSendersQdiscIsATransmitQdiscAnomalyOfTheSender() throws Exception {
        int port = 24680;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder().sampleEvery(0).build(),
                     CostConfig.none(), ANOMALIES, INTERVAL_NS)) {
            String dev = net.b().iface();
            // Segments the size TCP writes them (no TSO/GSO): a shaper would cut larger ones in software,
            // into packets the probes did not see start.
            net.b().exec("ethtool", "-K", dev, "tso", "off", "gso", "off");
            Pods p = start(net, cg, port);
            try {
                steady(h, p, p.clientCg(), Direction.TX, Layer.TX_QDISC);

                // 6 Mbit/s with a one-packet bucket: above the load's 4 Mbit/s (nothing dropped, the load
                // goes on), but each 8 kB burst drains for about 11 ms, its packets waiting in the qdisc.
                net.b().exec("tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "6mbit", "burst", "1600",
                        "limit", "30000");
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
                net.b().tryExec("tc", "qdisc", "del", "dev", dev, "root");
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
