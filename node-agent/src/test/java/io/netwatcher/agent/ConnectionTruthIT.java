package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.Role;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.RawIcmp;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.SsSocket;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Connection values against the kernel's own view: the listener's accept queue (`ss -ltn`), the
 * congestion window at open and at close (`ss -ti`), the owner of an accepted, idle connection
 * (`ss -tp`); updates only for connections that changed; a connection older than the agent;
 * --sport/--dport on flows, updates, latency summaries and ICMP drops.
 */
class ConnectionTruthIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long INFINITE_SSTHRESH = 0x7fffffffL;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    /** Recv-Q and Send-Q of a listener, as `ss -ltn` prints them: its accept queue and its limit. */
    private static long[] listenerQueue(TestNet.Host host, int port) {
        String out = host.exec("ss", "-ltnH", "sport = :" + port).strip();
        String[] f = out.split("\\s+");
        assertEquals("LISTEN", f[0], out);
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
    }

    @Test
    void serverConnectionsCarryTheListenersAcceptQueueAsSsShowsIt() throws Exception {
        int port = 24630;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            CountDownLatch listening = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port), 7); // never accepts
                    listening.countDown();
                    done.await(30, TimeUnit.SECONDS);
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            List<Socket> clients = net.b().submit(() -> {
                List<Socket> out = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                    out.add(s);
                }
                return out;
            }).get(20, TimeUnit.SECONDS);
            try {
                long[] q = listenerQueue(net.a(), port);
                assertEquals(3, q[0], "ss -ltn Recv-Q: three connections wait in the accept queue");
                assertEquals(7, q[1], "ss -ltn Send-Q: the listen() backlog");
                List<ConnEvent> opens = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    opens.add(h.awaitConn(ConnEvent.Kind.OPEN, c -> c.stats().role() == Role.SERVER
                            && c.tuple().sport() == port && !opens.contains(c), WAIT, "server open " + i));
                }
                assertEquals(List.of(1L, 2L, 3L), opens.stream().map(c -> c.stats().backlog()).sorted().toList(),
                        "each connection: the accept queue when it joined, itself included");
                assertTrue(opens.stream().allMatch(c -> c.stats().maxBacklog() == q[1]), "limit = Send-Q: " + opens);
                assertEquals(q[0], opens.stream().mapToLong(c -> c.stats().backlog()).max().orElse(-1),
                        "the last one saw the queue ss shows");
                int pid = (int) ProcessHandle.current().pid();
                assertTrue(opens.stream().allMatch(c -> c.pid() == pid), "the listener's process owns them: " + opens);
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
                done.countDown();
                server.get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Before: the listener's owner from listen(). After: the process holding the socket (ss -p). */
    @ParameterizedTest(name = "agent started {0}")
    @ValueSource(strings = {"before", "after"})
    void anAcceptedIdleConnectionBelongsToTheServerProcess(String agentStarted) throws Exception {
        int port = agentStarted.equals("before") ? 24631 : 24637;
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups()) {
            AgentHarness early = agentStarted.equals("before") ? AgentHarness.start(AgentHarness.testConfig()) : null;
            Path group = cg.create("netwatcher-it/owner-" + UUID.randomUUID().toString().substring(0, 8));
            Process server = Cgroups.startIn(group, net.a().name(),
                    TcpPeer.command("serve", net.a().ipv4(), "" + port).toArray(String[]::new));
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("listening", out.readLine());
                try (Socket idle = net.b().submit(() -> {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                    return s;
                }).get(10, TimeUnit.SECONDS)) {
                    // The kernel's view of who holds the accepted socket (ss -p walks /proc/*/fd).
                    Pattern users = Pattern.compile("pid=(\\d+)");
                    String ssLine = "";
                    for (int i = 0; i < 50 && !users.matcher(ssLine).find(); i++) {
                        Thread.sleep(100);
                        ssLine = net.a().exec("ss", "-tnpeH", "sport = :" + port).strip();
                    }
                    Matcher m = users.matcher(ssLine);
                    assertTrue(m.find(), "ss -p shows the accepted socket's process: " + ssLine);
                    long ssPid = Long.parseLong(m.group(1));
                    assertEquals(server.pid(), ssPid, "the server process accepted it");
                    SsSocket accepted = SsSocket.parse(ssLine).get(0);
                    try (AgentHarness h = early != null ? early : AgentHarness.start(AgentHarness.testConfig())) {
                        h.agent().refreshConnections();
                        ConnStats s = h.agent().connection(accepted.cookie())
                                .orElseThrow(() -> new AssertionError("accepted connection not tracked"));
                        assertEquals(Role.SERVER, s.role(), "a server: its port has a listener");
                        assertEquals(0, s.bytesReceived() + s.bytesSent(), "nothing was read or written");
                        assertEquals(ssPid, s.pid(), "the agent's owner of the idle accepted connection vs ss -p");
                        if (early != null) {
                            ConnEvent open = h.awaitConn(ConnEvent.Kind.OPEN, c -> c.cookie() == accepted.cookie(),
                                    WAIT, "server open");
                            assertEquals(ssPid, open.pid(), "already at open: the listener's process");
                        } else {
                            ConnEvent update = h.awaitConn(ConnEvent.Kind.UPDATE,
                                    c -> c.cookie() == accepted.cookie(), WAIT, "the first read of it");
                            assertEquals(ssPid, update.pid(), "its first report names the process");
                        }
                    }
                }
            } finally {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                if (early != null) {
                    early.close();
                }
            }
        }
    }

    /** BBR shows the congestion window at its handshake value (4) until the kernel sets the initial one. */
    private static void useBbr(TestNet.Host host) {
        Sh.Result r = host.tryExec("sysctl", "-qw", "net.ipv4.tcp_congestion_control=bbr");
        Kernel.require(r.status() == 0, "the bbr congestion control (tcp_bbr): " + r.err());
    }

    @Test
    void theCongestionWindowAtOpenAndAfterAnIdleCloseIsWhatSsShows() throws Exception {
        int port = 24632;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            useBbr(net.a());
            useBbr(net.b());
            CountDownLatch listening = new CountDownLatch(1);
            Future<Long> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        return s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    }
                }
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            SsSocket[] seen = new SsSocket[3];
            net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                    int local = s.getLocalPort();
                    seen[0] = mine(net.b(), local);          // right after connect()
                    seen[1] = theirs(net.a(), port, local);
                    TcpExchange.writeBytes(s.getOutputStream(), 4_000_000);
                    Thread.sleep(11_000); // BBR probes the RTT again after 10 s: the FIN's ACK would do it
                    seen[2] = mine(net.b(), local);          // just before close()
                }
                return null;
            }).get(60, TimeUnit.SECONDS);
            assertEquals(4_000_000L, server.get(20, TimeUnit.SECONDS));
            ConnEvent clientOpen = h.awaitConn(ConnEvent.Kind.OPEN, c -> c.cookie() == seen[0].cookie(), WAIT,
                    "client open");
            ConnEvent serverOpen = h.awaitConn(ConnEvent.Kind.OPEN, c -> c.cookie() == seen[1].cookie(), WAIT,
                    "server open");
            ConnEvent clientClose = h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == seen[0].cookie(), WAIT,
                    "client close");
            assertEquals(seen[0].cwnd(), clientOpen.stats().cwnd(), "client cwnd at open vs ss: " + seen[0]);
            assertEquals(seen[1].cwnd(), serverOpen.stats().cwnd(), "server cwnd at open vs ss: " + seen[1]);
            assertEquals(seen[0].ssthresh() < 0 ? INFINITE_SSTHRESH : seen[0].ssthresh(),
                    clientOpen.stats().ssthresh(), "client ssthresh at open vs ss");
            assertTrue(seen[2].cwnd() > 10, "the transfer grew cwnd: " + seen[2]);
            assertEquals(seen[2].cwnd(), clientClose.stats().cwnd(), "cwnd at close vs ss just before close()");
            assertEquals(seen[2].ssthresh() < 0 ? INFINITE_SSTHRESH : seen[2].ssthresh(),
                    clientClose.stats().ssthresh(), "ssthresh at close vs ss just before close()");
        }
    }

    private static SsSocket mine(TestNet.Host host, int localPort) {
        return host.ss().stream().filter(s -> s.local().endsWith(":" + localPort)).findFirst().orElseThrow();
    }

    private static SsSocket theirs(TestNet.Host host, int localPort, int peerPort) {
        return host.ss().stream().filter(s -> s.local().endsWith(":" + localPort) && s.peer().endsWith(":" + peerPort))
                .findFirst().orElseThrow();
    }

    @Test
    void onlyConnectionsThatChangedGetAnUpdate() throws Exception {
        int port = 24633;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            CountDownLatch listening = new CountDownLatch(1);
            Future<Long> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        return s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    }
                }
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            long[] cookie = new long[1];
            int[] idleUpdates = new int[1];
            net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                    cookie[0] = mine(net.b(), s.getLocalPort()).cookie();
                    Thread.sleep(600); // the first read after open
                    int first = updates(h, cookie[0]).size();
                    Thread.sleep(2000); // ten intervals of 200 ms, idle
                    idleUpdates[0] = updates(h, cookie[0]).size() - first;
                    TcpExchange.writeBytes(s.getOutputStream(), 1000);
                    h.await(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.UPDATE && c.cookie() == cookie[0]
                            && c.stats().bytesSent() == 1000, WAIT, "an update once it sent data");
                }
                return null;
            }).get(30, TimeUnit.SECONDS);
            server.get(10, TimeUnit.SECONDS);
            assertEquals(0, idleUpdates[0], "no update while nothing changed: " + updates(h, cookie[0]));
        }
    }

    private static List<ConnEvent> updates(AgentHarness h, long cookie) {
        return h.events(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.UPDATE && c.cookie() == cookie);
    }

    @Test
    void aConnectionOlderThanTheAgentReportsOnlyItsNewBytes() throws Exception {
        int port = 24634;
        try (TestNet net = TestNet.create()) {
            CountDownLatch listening = new CountDownLatch(1);
            Future<Long> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        return s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    }
                }
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            Socket s = net.b().submit(() -> {
                Socket c = new Socket();
                c.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                TcpExchange.writeBytes(c.getOutputStream(), 300_000); // before the agent
                return c;
            }).get(10, TimeUnit.SECONDS);
            long cookie = mine(net.b(), s.getLocalPort()).cookie();
            try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
                Thread.sleep(600); // the agent reads it once
                TcpExchange.writeBytes(s.getOutputStream(), 50_000);
                Thread.sleep(300);
                s.close();
                assertEquals(350_000L, server.get(10, TimeUnit.SECONDS));
                h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == cookie, WAIT, "close");
                List<FlowEvent> flows = h.events(FlowEvent.class, f -> f.cookie() == cookie);
                assertEquals(50_000, flows.stream().mapToLong(FlowEvent::txBytes).sum(),
                        "flows count the bytes since the agent started: " + flows);
                assertTrue(flows.stream().allMatch(f -> f.intervalNs() > 0), "every flow has its interval: " + flows);
            }
        }
    }

    @Test
    void portFiltersApplyToFlowsUpdatesLatencyAndIcmpDrops() throws Exception {
        int port = 24635;
        int other = 24636;
        ProbeConfig byServerPort = AgentHarness.testConfig().toBuilder().sport(port).build();
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(byServerPort)) {
            TcpExchange.run(net, false, port, 200_000, 100_000);
            TcpExchange.run(net, false, other, 200_000, 100_000);
            net.a().nftTable();
            net.a().nftRule("input", "icmp type echo-request drop");
            long dropsBefore = netfilterDrops(h);
            int replies = net.b().submit(() -> RawIcmp.ping(net.a().address(false), 3, 0x4e57)).get(20, TimeUnit.SECONDS);
            assertEquals(0, replies, "echo requests dropped by nft");
            Thread.sleep(600);
            h.agent().pollNow();
            assertTrue(netfilterDrops(h) - dropsBefore >= 3, "the kernel counted the ICMP drops");
            List<FlowEvent> flows = h.events(FlowEvent.class, f -> f.tuple().dport() == port
                    || f.tuple().sport() == port || f.tuple().dport() == other || f.tuple().sport() == other);
            assertFalse(flows.isEmpty(), "flows of the server port");
            assertTrue(flows.stream().allMatch(f -> f.tuple().sport() == port), "only sockets with local port " + port
                    + ": " + flows);
            List<ConnEvent> updates = h.events(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.UPDATE);
            assertTrue(updates.stream().allMatch(c -> c.tuple().sport() == port), "updates: " + updates);
            assertTrue(h.events(LatencyEvent.class).isEmpty(), "per-cgroup latency summaries cannot be narrowed to a"
                    + " port: none");
            assertTrue(h.events(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && e.extra() == 1).isEmpty(),
                    "ICMP drops have no port: none under a port filter");
        }
    }

    private static long netfilterDrops(AgentHarness h) throws IOException {
        long reason = Btf.vmlinux().enumValues("skb_drop_reason").get("SKB_DROP_REASON_NETFILTER_DROP");
        return h.agent().maps().counters().read().entrySet().stream()
                .filter(e -> e.getKey().kind() == CounterKind.DROP && e.getKey().detail() == reason)
                .mapToLong(Map.Entry::getValue).sum();
    }
}
