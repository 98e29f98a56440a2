package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.BpfMap;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Role;
import io.netwatcher.kernel.ConnSnapshot;
import io.netwatcher.kernel.ConnectionMap;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.kernel.CounterMap;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.netns.Netns;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.ConnPeer;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connection accounting under pressure: a connection map already full of another workload's
 * connections with the test's own held open beside it, and churn from parallel threads. Every
 * connection is counted opened and closed exactly once with its role, the refused inserts are
 * counted, and the open gauge (opened - closed) returns to 0. The test's processes live in a cgroup of their own, so the counters are theirs alone.
 */
class ConnectionAccountingIT {
    private static final int HELD = 150;
    private static final int CHURN = 2000;
    private static final int MAP = 100;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    @Test
    void connectionsBeyondAFullMapAreOpenedAndClosedOncePerRole() throws Exception {
        int port = 24620;
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).maxConnections(MAP).build();
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); AgentHarness h = AgentHarness.start(config)) {
            Path group = cg.create("netwatcher-it/accounting-" + UUID.randomUUID().toString().substring(0, 8));
            long id = Cgroups.id(group);
            // Another workload's connections fill the map first (as other pods' do on a busy node).
            Path others = cg.create("netwatcher-it/accounting-others-" + UUID.randomUUID().toString().substring(0, 8));
            Process otherServer = Cgroups.startIn(others, net.a().name(),
                    TcpPeer.java(ConnPeer.class, "serve", net.a().ipv4(), "" + (port + 1)).toArray(String[]::new));
            Process server = Cgroups.startIn(group, net.a().name(),
                    TcpPeer.java(ConnPeer.class, "serve", net.a().ipv4(), "" + port).toArray(String[]::new));
            Process otherHold = null;
            Process hold = null;
            try {
                assertEquals("listening", reader(otherServer).readLine());
                otherHold = Cgroups.startIn(others, net.b().name(),
                        TcpPeer.java(ConnPeer.class, "hold", net.a().ipv4(), "" + (port + 1), "" + MAP)
                                .toArray(String[]::new));
                assertEquals("open " + MAP, reader(otherHold).readLine());
                awaitTrue(() -> h.agent().maps().connections().entries() == MAP, 20,
                        () -> "the map is full: " + h.agent().maps().connections().entries());
                assertEquals("listening", reader(server).readLine());

                // 150 connections held open: 300 sockets of this cgroup beside a full map.
                long fullBefore = stat(h, KernelStat.CONN_FULL);
                hold = Cgroups.startIn(group, net.b().name(),
                        TcpPeer.java(ConnPeer.class, "hold", net.a().ipv4(), "" + port, "" + HELD)
                                .toArray(String[]::new));
                BufferedReader holdOut = reader(hold);
                assertEquals("open " + HELD, holdOut.readLine());
                awaitTrue(() -> counts(h, id, CounterKind.CONN_OPEN).equals(perRole(HELD)), 20,
                        () -> "opened per role " + counts(h, id, CounterKind.CONN_OPEN));
                long refused = stat(h, KernelStat.CONN_FULL) - fullBefore;
                // At least: other processes' connections come and go, and may leave a slot now and then.
                assertTrue(refused >= 2L * HELD - MAP, "inserts refused by the full map are counted: " + refused);
                assertEquals(perRole(HELD), open(h, id), "open gauge = opened - closed while they are held");

                hold.getOutputStream().write('\n');
                hold.getOutputStream().flush();
                assertEquals("closed " + HELD, holdOut.readLine());
                awaitTrue(() -> counts(h, id, CounterKind.CONN_CLOSE).equals(perRole(HELD)), 30,
                        () -> "closed per role " + counts(h, id, CounterKind.CONN_CLOSE) + "; " + unclosed(h, id)
                                + "\nsockets to the port in the client's namespace: " + socketStates(net.b().name(), port));
                assertEquals(perRole(HELD), counts(h, id, CounterKind.CONN_OPEN), "opened per role");
                assertEquals(perRole(0), open(h, id), "the open gauge is back to 0");
                assertClosedOnceWithDuration(h, id, HELD);
            } finally {
                // Every process of the test's cgroups ends, even on failure, so that they can be removed.
                for (Process p : new Process[] {otherHold, hold}) {
                    if (p != null) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
                otherServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Short connections from 4 threads: state changes nest on a CPU (a softirq over a process-context
     * run) and are missed by the state-change program; socket destruction, or else the socket walk,
     * must catch every close, and nested programs must not mix their records or lose additions.
     */
    @Test
    void churnFromParallelThreadsKeepsOpenedEqualClosedPerRole() throws Exception {
        int port = 24626;
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).build();
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); AgentHarness h = AgentHarness.start(config)) {
            Path group = cg.create("netwatcher-it/churn-" + UUID.randomUUID().toString().substring(0, 8));
            long id = Cgroups.id(group);
            Process server = Cgroups.startIn(group, net.a().name(),
                    TcpPeer.java(ConnPeer.class, "serve", net.a().ipv4(), "" + port).toArray(String[]::new));
            Process churn = null;
            try {
                assertEquals("listening", reader(server).readLine());
                churn = Cgroups.startIn(group, net.b().name(),
                        TcpPeer.java(ConnPeer.class, "churn", net.a().ipv4(), "" + port, "" + CHURN, "4")
                                .toArray(String[]::new));
                assertEquals("done " + CHURN, reader(churn).readLine());
                assertTrue(churn.waitFor(30, TimeUnit.SECONDS));
                awaitTrue(() -> counts(h, id, CounterKind.CONN_CLOSE).equals(perRole(CHURN)), 30,
                        () -> "closed per role " + counts(h, id, CounterKind.CONN_CLOSE) + ", opened "
                                + counts(h, id, CounterKind.CONN_OPEN) + "; " + unclosed(h, id)
                                + "\nsockets to the port in the client's namespace: " + socketStates(net.b().name(), port));
                assertEquals(perRole(CHURN), counts(h, id, CounterKind.CONN_OPEN), "opened per role");
                assertEquals(perRole(0), open(h, id), "the open gauge is back to 0");
                assertClosedOnceWithDuration(h, id, CHURN);
            } finally {
                if (churn != null) {
                    churn.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Every close was reported once, with its role and duration, tracked in the map or not. */
    private static void assertClosedOnceWithDuration(AgentHarness h, long id, long perRole) throws InterruptedException {
        awaitTrue(() -> closeEvents(h, id).equals(perRole(perRole)), 10, () -> "close events per role " + closeEvents(h, id));
        List<ConnEvent> closes = h.events(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.CLOSE && c.cgroupId() == id);
        assertEquals(closes.size(), closes.stream().mapToLong(ConnEvent::cookie).distinct().count(),
                "one close per connection");
        assertTrue(closes.stream().allMatch(c -> c.durationMs() >= 0 && c.stats().established()),
                "every close has its duration");
    }

    /**
     * A counter that does not fit in a full counters map is counted as a statistic (exported as
     * netwatcher_map_full_total{map="counters"}), not lost silently. The map is filled with keys of
     * cgroups no real cgroup has; then a connection from a cgroup of its own needs new keys.
     */
    @Test
    void aFullCounterMapIsCounted() throws Exception {
        int port = 24622;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            BpfMap counters = h.agent().probes().object().map(CounterMap.COUNTERS);
            byte[] zero = new byte[counters.lookupSize()];
            int filled = 0;
            for (int i = 0; i < counters.maxEntries(); i++) {
                ByteBuffer k = ByteBuffer.allocate(Layouts.CounterKey.SIZE).order(ByteOrder.nativeOrder());
                k.putLong(Layouts.CounterKey.CGROUP_ID, 0x7e57_0000_0000L + i)
                        .putShort(Layouts.CounterKey.KIND, (short) CounterKind.DROP.value());
                try {
                    counters.update(k.array(), zero, 1); // only new keys: stops where the map is full
                    filled++;
                } catch (BpfException e) {
                    break;
                }
            }
            assertTrue(filled > 0 && counters.countEntries() == counters.maxEntries(),
                    "the map is full: " + counters.countEntries() + " of " + counters.maxEntries());
            Path group = cg.create("netwatcher-it/counters-full-" + UUID.randomUUID().toString().substring(0, 8));
            long id = Cgroups.id(group);
            long before = stat(h, KernelStat.COUNTERS_FULL);
            Process server = Cgroups.startIn(group, net.a().name(),
                    TcpPeer.command("serve", net.a().ipv4(), "" + port).toArray(String[]::new));
            try {
                assertEquals("listening", reader(server).readLine());
                Process client = Cgroups.startIn(group, net.b().name(),
                        TcpPeer.command("send", net.a().ipv4(), "" + port, "1000", "1", "0").toArray(String[]::new));
                assertTrue(client.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, client.exitValue());
                h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cgroupId() == id, Duration.ofSeconds(10),
                        "the connection's close");
                awaitTrue(() -> stat(h, KernelStat.COUNTERS_FULL) - before >= 2, 10,
                        () -> "counters refused: " + (stat(h, KernelStat.COUNTERS_FULL) - before));
                assertEquals(perRole(0), counts(h, id, CounterKind.CONN_OPEN), "its opens found no room");
                h.agent().pollNow();
                assertTrue(h.agent().stats().kernelStat(KernelStat.COUNTERS_FULL) >= 2, "in the agent's statistics");
                assertTrue(h.agent().stats().summary().contains("counter map full"), h.agent().stats().summary());
            } finally {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A tracked connection whose socket is gone without its close or its destruction having been
     * seen (both programs skipped: recursion): the agent's walk of its namespace no longer finds it,
     * and the next walk reports its close. Simulated with a record for a socket that never existed.
     */
    @Test
    void aConnectionWhoseSocketVanishedIsClosedByTheNextWalk() throws Exception {
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            long cgroup = 0x7e57_0000_0000L + (System.nanoTime() & 0xffff);
            long cookie = (1L << 62) + (System.nanoTime() & 0xffffff);
            long start = h.agent().clock().nowMonoNs();
            ByteBuffer v = ByteBuffer.allocate(Layouts.Conn.SIZE).order(ByteOrder.nativeOrder());
            v.putLong(Layouts.Conn.START_NS, start).putLong(Layouts.Conn.UPDATE_NS, start)
                    .putLong(Layouts.Conn.CGROUP_ID, cgroup)
                    .putInt(Layouts.Conn.NETNS, (int) Netns.inode(Path.of("/run/netns", net.a().name())))
                    .put(Layouts.Conn.ROLE, (byte) 1).put(Layouts.Conn.STATE, (byte) 1)
                    .put(Layouts.Conn.ESTABLISHED, (byte) 1);
            v.putShort(Layouts.Conn.T + Layouts.Tuple.FAMILY, (short) 2);
            h.agent().probes().object().map(ConnectionMap.NAME).update(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder())
                    .putLong(cookie).array(), v.array(), 0);
            ConnEvent close = h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == cookie, Duration.ofSeconds(10),
                    "the close of the vanished connection");
            assertEquals(Role.CLIENT, close.stats().role());
            assertTrue(close.durationMs() >= 0, "with its duration");
            assertEquals(1L, counts(h, cgroup, CounterKind.CONN_CLOSE).get(Role.CLIENT), "counted closed once");
            assertTrue(h.agent().connection(cookie).isEmpty(), "and forgotten");
        }
    }

    /** What a failure needs to be explained: the opens without a close, the map, the kernel's statistics. */
    /** What ss says of the test's connections (their states), for a failure's message. */
    private static String socketStates(String netns, int port) {
        try {
            Process ss = new ProcessBuilder("ip", "netns", "exec", netns, "ss", "-tanH", "dport", "= :" + port)
                    .redirectErrorStream(true).start();
            Map<String, Integer> states = new TreeMap<>();
            try (BufferedReader r = reader(ss)) {
                r.lines().map(l -> l.trim().split("\\s+")[0]).forEach(st -> states.merge(st, 1, Integer::sum));
            }
            return states.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String unclosed(AgentHarness h, long cgroup) {
        Map<Long, ConnEvent> open = new HashMap<>();
        h.events(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.OPEN && c.cgroupId() == cgroup)
                .forEach(c -> open.put(c.cookie(), c));
        h.events(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.CLOSE && c.cgroupId() == cgroup)
                .forEach(c -> open.remove(c.cookie()));
        StringBuilder out = new StringBuilder("opens without a close event: " + open.size());
        open.values().stream().limit(5).forEach(c -> out.append("\n  ").append(c.stats().role()).append(' ')
                .append(c.tuple()).append(" cookie ").append(c.cookie()).append(" tracked now: ")
                .append(h.agent().connection(c.cookie()).isPresent()).append(" its events: ")
                .append(h.events(ConnEvent.class, e -> e.cookie() == c.cookie()).stream()
                        .map(e -> e.kind() + " cgroup " + e.cgroupId() + " " + e.stats().role() + " state "
                                + e.oldState() + "->" + e.stats().state())
                        .toList()));
        ConnSnapshot snap = h.agent().maps().connections().snapshot();
        Map<String, Integer> tracked = new TreeMap<>();
        for (int i = 0; i < snap.size(); i++) {
            ConnStats st = snap.stats(i);
            tracked.merge((st.cgroupId() == cgroup ? "test " : "other ") + st.role() + " state " + st.state()
                    + (st.established() ? " established" : ""), 1, Integer::sum);
        }
        return out.append("\nconnections map: ").append(tracked)
                .append("\nkernel statistics: ").append(h.agent().maps().stats().read())
                .append("\nrecursion misses: ").append(h.agent().probes().recursionMisses()).toString();
    }

    private static Map<Role, Long> closeEvents(AgentHarness h, long cgroup) {
        Map<Role, Long> out = new HashMap<>(perRole(0));
        h.events(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.CLOSE && c.cgroupId() == cgroup)
                .forEach(c -> out.merge(c.stats().role(), 1L, Long::sum));
        return out;
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private static Map<Role, Long> perRole(long n) {
        return Map.of(Role.CLIENT, n, Role.SERVER, n);
    }

    /** The kernel's counters of one kind for the cgroup, per role (client and server always present). */
    private static Map<Role, Long> counts(AgentHarness h, long cgroup, CounterKind kind) {
        Map<Role, Long> out = new HashMap<>(perRole(0));
        h.agent().maps().counters().read().forEach((k, v) -> {
            if (k.cgroupId() == cgroup && k.kind() == kind) {
                out.merge(k.role(), v, Long::sum);
            }
        });
        return out;
    }

    /** What netwatcher.tcp.connections.open reports: opened - closed. */
    private static Map<Role, Long> open(AgentHarness h, long cgroup) {
        Map<Role, Long> opened = counts(h, cgroup, CounterKind.CONN_OPEN);
        Map<Role, Long> out = new HashMap<>(opened);
        counts(h, cgroup, CounterKind.CONN_CLOSE).forEach((r, v) -> out.merge(r, -v, Long::sum));
        return out;
    }

    private static long stat(AgentHarness h, KernelStat stat) {
        return h.agent().maps().stats().read().get(stat);
    }

    private static void awaitTrue(BooleanSupplier ok, int seconds, Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("after " + seconds + " s: " + what.get());
            }
            Thread.sleep(100);
        }
    }
}
