package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.HandshakeFailure;
import io.netwatcher.event.StateEvent;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.names.TcpState;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.ConnPeer;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TCP state times against the test's own clock (System.nanoTime and bpf_ktime_get_ns are both
 * CLOCK_MONOTONIC): the transitions of a client and a server socket in the order the test drives
 * them, each with the time spent in the state it left; a refused and a timed-out handshake (SYNs
 * dropped by an nft rule, one SYN retry in the namespace); and the always-on aggregates of a cgroup
 * of its own: connect latency counted once per connect made, handshake failures by cause.
 */
class TcpStateIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final int ESTABLISHED = TcpState.ESTABLISHED.value();
    private static final int SYN_SENT = TcpState.SYN_SENT.value();
    private static final int SYN_RECV = TcpState.SYN_RECV.value();
    private static final int FIN_WAIT1 = TcpState.FIN_WAIT1.value();
    private static final int FIN_WAIT2 = TcpState.FIN_WAIT2.value();
    private static final int CLOSE = TcpState.CLOSE.value();
    private static final int CLOSE_WAIT = TcpState.CLOSE_WAIT.value();
    private static final int LAST_ACK = TcpState.LAST_ACK.value();
    private static final int LISTEN = TcpState.LISTEN.value();
    /**
     * One SYN retry: the kernel gives up two retransmission timeouts of at least 1 s each after the
     * first SYN (2 s with tcp_syn_linear_timeouts, 3 s with doubling): well above a refused connect.
     */
    private static final long SYN_TIMEOUT_MIN_NS = 1_500_000_000L;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("curl"), "command curl on PATH");
    }

    private static ProbeConfig withStates() {
        return AgentHarness.testConfig().toBuilder().sampleEvery(0).stateEvents(true).build();
    }

    private static String states(List<StateEvent> events) {
        return events.stream().map(e -> TcpState.name(e.oldState()) + "->" + TcpState.name(e.newState())
                + "(" + (e.durationKnown() ? e.durationNs() / 1000 + "us" : "-") + ")").toList().toString();
    }

    /** A socket's transitions in kernel time order. */
    private static List<StateEvent> ofSocket(AgentHarness h, long cookie) {
        return h.events(StateEvent.class, e -> e.cookie() == cookie).stream()
                .sorted(Comparator.comparingLong(StateEvent::timeNs)).toList();
    }

    /** Each transition's time in the state it left began at the transition into that state (same program run). */
    private static void assertChained(List<StateEvent> seq) {
        for (int i = 1; i < seq.size(); i++) {
            StateEvent prev = seq.get(i - 1);
            StateEvent e = seq.get(i);
            assertEquals(prev.newState(), e.oldState(), "transitions chain: " + states(seq));
            assertTrue(e.durationKnown(), "time in " + TcpState.name(e.oldState()) + " known: " + states(seq));
            assertEquals(prev.timeNs(), e.timeNs() - e.durationNs(), "the time in " + TcpState.name(e.oldState())
                    + " starts at the transition into it: " + states(seq));
        }
    }

    private static void assertWithin(long from, long to, long ns, String what) {
        assertTrue(ns >= from && ns <= to, what + ": " + ns + " ns not in [" + from + ", " + to + "]");
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void transitionsFollowTheSocketsInTheOrderTheTestDroveThemWithTheirTimes(boolean v6) throws Exception {
        int port = v6 ? 24801 : 24800;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(withStates())) {
            CountDownLatch listening = new CountDownLatch(1);
            CountDownLatch closeServer = new CountDownLatch(1);
            long[] eof = new long[1];
            Future<Integer> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(v6), port));
                    listening.countDown();
                    try (Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                        int n = 0;
                        while (in.read() >= 0) {
                            n++;
                        }
                        eof[0] = System.nanoTime(); // the client's FIN: this side is in CLOSE_WAIT
                        assertTrue(closeServer.await(20, TimeUnit.SECONDS));
                        return n;
                    }
                }
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            long[] t = new long[8];
            int clientPort = net.b().submit(() -> {
                try (Socket c = new Socket()) {
                    t[0] = System.nanoTime();
                    c.connect(new InetSocketAddress(net.a().address(v6), port), 5000);
                    t[1] = System.nanoTime();
                    c.getOutputStream().write(new byte[] {1, 2, 3});
                    Thread.sleep(300);
                    t[2] = System.nanoTime();
                    c.shutdownOutput(); // FIN: ESTABLISHED -> FIN_WAIT1, its ACK -> FIN_WAIT2
                    t[3] = System.nanoTime();
                    awaitTrue(() -> net.b().exec("ss", "-tnH", "state", "fin-wait-2", "dport", "=", ":" + port)
                            .contains(":" + port), 10, () -> "client in FIN-WAIT-2");
                    t[4] = System.nanoTime();
                    Thread.sleep(300);
                    t[5] = System.nanoTime();
                    closeServer.countDown(); // the server closes: its FIN ends the client's FIN_WAIT2
                    assertEquals(3, server.get(10, TimeUnit.SECONDS));
                    t[6] = System.nanoTime();
                    return c.getLocalPort();
                }
            }).get(30, TimeUnit.SECONDS);

            StateEvent open = h.await(StateEvent.class, e -> e.newState() == ESTABLISHED && e.oldState() == SYN_SENT
                    && e.tuple().sport() == clientPort && e.tuple().dport() == port, WAIT, "client established");
            h.await(StateEvent.class, e -> e.cookie() == open.cookie() && e.newState() == CLOSE, WAIT,
                    "client closed");
            List<StateEvent> client = ofSocket(h, open.cookie());
            assertEquals(List.of(CLOSE + ">" + SYN_SENT, SYN_SENT + ">" + ESTABLISHED, ESTABLISHED + ">" + FIN_WAIT1,
                    FIN_WAIT1 + ">" + FIN_WAIT2, FIN_WAIT2 + ">" + CLOSE),
                    client.stream().map(e -> e.oldState() + ">" + e.newState()).toList(), states(client));
            assertChained(client);
            assertTrue(client.stream().allMatch(e -> e.pid() == ProcessHandle.current().pid()),
                    "the connecting process owns it: " + client);
            StateEvent connected = client.get(1);
            assertWithin(t[0], t[1], connected.timeNs(), "connected during connect()");
            assertWithin(0, t[1] - t[0], connected.durationNs(), "connect latency within connect()");
            assertWithin(t[2] - t[1], t[3] - t[0], client.get(2).durationNs(), "time ESTABLISHED: write, sleep");
            StateEvent finWait2 = client.get(4);
            assertWithin(t[5] - t[4], finWait2.timeNs() - t[2], finWait2.durationNs(), "time in FIN_WAIT2 until the"
                    + " server closed");

            StateEvent accepted = h.await(StateEvent.class, e -> e.oldState() == SYN_RECV
                    && e.tuple().sport() == port && e.tuple().dport() == clientPort, WAIT, "server established");
            h.await(StateEvent.class, e -> e.cookie() == accepted.cookie() && e.newState() == CLOSE, WAIT,
                    "server closed");
            List<StateEvent> srv = ofSocket(h, accepted.cookie());
            assertEquals(List.of(LISTEN + ">" + SYN_RECV, SYN_RECV + ">" + ESTABLISHED, ESTABLISHED + ">" + CLOSE_WAIT,
                    CLOSE_WAIT + ">" + LAST_ACK, LAST_ACK + ">" + CLOSE),
                    srv.stream().map(e -> e.oldState() + ">" + e.newState()).toList(), states(srv));
            assertChained(srv);
            // The server is ESTABLISHED when the client's ACK arrives (after its connect() may have returned).
            assertWithin(t[0], eof[0], srv.get(1).timeNs(), "accepted after the client's connect() began");
            assertWithin(t[2] - srv.get(1).timeNs(), eof[0] - t[0], srv.get(2).durationNs(),
                    "server ESTABLISHED until the client's FIN");
            assertWithin(t[5] - eof[0], t[6] - t[2], srv.get(3).durationNs(), "CLOSE_WAIT until the server closed");
        }
    }

    @Test
    void aRefusedAndATimedOutHandshakeAreReportedWithTheirCause() throws Exception {
        int closed = 24802;
        int dropped = 24803;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(withStates())) {
            try {
                net.b().exec("sysctl", "-qw", "net.ipv4.tcp_syn_retries=1");
                net.a().nftTable();
                net.a().nftRule("input", "tcp dport " + dropped + " drop");

                long r0 = System.nanoTime();
                assertThrows(ConnectException.class, () -> connect(net, closed), "nothing listens: RST");
                long r1 = System.nanoTime();
                StateEvent refused = h.await(StateEvent.class, e -> e.newState() == CLOSE
                        && e.tuple().dport() == closed, WAIT, "refused handshake");
                assertEquals(SYN_SENT, refused.oldState());
                assertEquals(HandshakeFailure.REFUSED, refused.failure());
                // The errno, or none when the kernel skipped the transition's program run and the
                // transition was found at the socket's destruction (SO_ERROR reads clear the error).
                assertTrue(refused.skErr() == 111 || refused.skErr() == 0, "ECONNREFUSED: " + refused);
                assertWithin(r0, r1, refused.timeNs(), "refused during connect()");
                assertWithin(1, r1 - r0, refused.durationNs(), "time in SYN_SENT");

                long d0 = System.nanoTime();
                IOException e = assertThrows(IOException.class, () -> connect(net, dropped), "SYNs dropped");
                long d1 = System.nanoTime();
                assertTrue(e instanceof ConnectException && !(e instanceof SocketTimeoutException)
                        && e.getMessage().contains("timed out"), "the kernel gave up, not Java's timeout: " + e);
                StateEvent timedOut = h.await(StateEvent.class, x -> x.newState() == CLOSE
                        && x.tuple().dport() == dropped, WAIT, "timed-out handshake in " + h.events(StateEvent.class)
                        + "; programs skipped by the kernel: " + h.agent().probes().recursionMisses());
                assertEquals(SYN_SENT, timedOut.oldState());
                assertEquals(HandshakeFailure.TIMED_OUT, timedOut.failure());
                assertTrue(timedOut.skErr() == 110 || timedOut.skErr() == 0, "ETIMEDOUT: " + timedOut);
                assertWithin(d0, d1, timedOut.timeNs(), "timed out during connect()");
                assertWithin(SYN_TIMEOUT_MIN_NS, d1 - d0, timedOut.durationNs(), "time in SYN_SENT: two SYNs");
                assertEquals(0, h.events(StateEvent.class, x -> x.newState() == ESTABLISHED
                        && (x.tuple().dport() == closed || x.tuple().dport() == dropped)).size());
            } finally {
                net.a().nftFlush();
            }
        }
    }

    /** connect() from host B to host A's port, with a Java timeout above the kernel's SYN timeout. */
    private static Void connect(TestNet net, int port) throws Exception {
        try {
            return net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 20_000);
                }
                return (Void) null;
            }).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void aCgroupsConnectLatencyCountsEveryConnectAndItsFailedHandshakesByCause() throws Exception {
        int port = 24804;
        int closed = 24805;
        int dropped = 24806;
        int connects = 25;
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).build(); // no state events
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); AgentHarness h = AgentHarness.start(config)) {
            Path group = cg.create("netwatcher-it/tcpstate-" + UUID.randomUUID().toString().substring(0, 8));
            long id = Cgroups.id(group);
            Process server = Cgroups.startIn(group, net.a().name(),
                    TcpPeer.java(ConnPeer.class, "serve", net.a().ipv4(), "" + port).toArray(String[]::new));
            try {
                net.b().exec("sysctl", "-qw", "net.ipv4.tcp_syn_retries=1");
                net.a().nftTable();
                net.a().nftRule("input", "tcp dport " + dropped + " drop");
                assertEquals("listening", reader(server).readLine());
                long t0 = System.nanoTime();
                Process churn = Cgroups.startIn(group, net.b().name(),
                        TcpPeer.java(ConnPeer.class, "churn", net.a().ipv4(), "" + port, "" + connects, "2")
                                .toArray(String[]::new));
                assertEquals("done " + connects, reader(churn).readLine());
                assertTrue(churn.waitFor(30, TimeUnit.SECONDS));
                long t1 = System.nanoTime();
                // curl's exit 7: could not connect; 28: timed out (here the kernel's SYN timeout, 3 s, before
                // curl's own, 20 s: the time it took says which).
                assertEquals(7, curl(group, net, net.a().ipv4(), closed), "IPv4 refused");
                assertEquals(7, curl(group, net, "[" + net.a().ipv6() + "]", closed), "IPv6 refused");
                long c0 = System.nanoTime();
                assertEquals(28, curl(group, net, net.a().ipv4(), dropped), "SYNs dropped: timed out");
                assertTrue(System.nanoTime() - c0 < 15_000_000_000L, "the kernel gave up before curl's timeout");

                Map<HandshakeFailure, Long> expected = new EnumMap<>(HandshakeFailure.class);
                expected.put(HandshakeFailure.REFUSED, 2L);
                expected.put(HandshakeFailure.TIMED_OUT, 1L);
                awaitTrue(() -> failures(h, id).equals(expected), 10, () -> "handshake failures " + failures(h, id)
                        + "; programs skipped by the kernel: " + h.agent().probes().recursionMisses());
                CgroupHistogram hist = h.agent().maps().connectHistograms().read().stream()
                        .filter(x -> x.cgroupId() == id).findFirst().orElseThrow(() -> new AssertionError(
                                "no connect latency histogram for the cgroup"));
                assertEquals(connects, hist.count(), "one connect latency per connect made (failed ones are not)");
                assertEquals(connects, Arrays.stream(hist.slots()).sum(), "slots add up to the count");
                assertTrue(hist.sumNs() > 0 && hist.sumNs() < t1 - t0, "the latencies fit in the churn's time: "
                        + hist.sumNs() + " of " + (t1 - t0));
                assertEquals(List.of(), h.events(StateEvent.class), "no state events unless asked for");
            } finally {
                net.a().nftFlush();
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int curl(Path group, TestNet net, String host, int port) throws Exception {
        Process p = Cgroups.startIn(group, net.b().name(), "curl", "-s", "-o", "/dev/null", "--connect-timeout",
                "20", "http://" + host + ":" + port + "/");
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "curl finished");
        return p.exitValue();
    }

    private static Map<HandshakeFailure, Long> failures(AgentHarness h, long cgroup) {
        Map<HandshakeFailure, Long> out = new EnumMap<>(HandshakeFailure.class);
        for (Map.Entry<Counter, Long> e : h.agent().maps().counters().read().entrySet()) {
            if (e.getKey().cgroupId() == cgroup && e.getKey().kind() == CounterKind.HANDSHAKE_FAIL) {
                out.merge(e.getKey().handshakeFailure(), e.getValue(), Long::sum);
            }
        }
        return out;
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
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
