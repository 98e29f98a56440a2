package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.RetransmitKind;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.names.DropReasons;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Nstat;
import io.netwatcher.testing.RawTcp;
import io.netwatcher.testing.SsSocket;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Retransmits, resets, drops and bad checksums induced on purpose, checked against ss and nstat. */
class ErrorsIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    private static List<ErrorEvent> errors(AgentHarness h, ErrorKind kind) {
        return h.events(ErrorEvent.class, e -> e.kind() == kind);
    }

    @Test
    void periodicLossCausesFastRetransmitsThatAgreeWithSsAndNstat() throws Exception {
        int port = 24610;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            net.a().nftTable();
            // Deterministic loss (every 33rd segment to the server): random loss can miss a run.
            net.a().nftRule("input", "tcp dport " + port + " numgen inc mod 33 == 5 drop");
            Nstat before = Nstat.of(net.b());
            ConnStats[] live = new ConnStats[1];
            Nstat[] after = new Nstat[1];
            TcpExchange.Result r = TcpExchange.run(net, false, port, 30_000_000, 0, (c, s) -> {
                after[0] = Nstat.of(net.b());
                h.agent().refreshConnections();
                live[0] = h.agent().connection(c.cookie()).orElseThrow();
            });
            SsSocket ss = r.clientBeforeClose();
            ConnStats s = live[0];
            long nstatRetrans = after[0].since(before, "TcpRetransSegs");
            assertTrue(s.totalRetrans() > 0, "dropping every 33rd segment caused retransmits");
            assertEquals(ss.totalRetrans(), s.totalRetrans(), "retransmits vs ss retrans:x/TOTAL");
            assertEquals(nstatRetrans, s.totalRetrans(), "retransmits vs nstat TcpRetransSegs");
            assertEquals(s.totalRetrans(), s.fastRetrans() + s.timeoutRetrans() + s.otherRetrans(),
                    "every retransmitted segment has a kind: " + s);
            assertTrue(s.fastRetrans() > 0, "fast retransmits under periodic loss: " + s);

            List<ErrorEvent> events = errors(h, ErrorKind.RETRANSMIT).stream()
                    .filter(e -> e.cookie() == ss.cookie()).toList();
            assertTrue(events.stream().anyMatch(e -> RetransmitKind.label(e.detail()).equals("fast")),
                    "a retransmit event of kind fast");
            long segs = events.stream().mapToLong(e -> Math.max(1, e.extra() >>> 8)).sum();
            assertEquals(s.totalRetrans(), segs, "one event per retransmitted skb, segments add up");

            List<ErrorEvent> drops = errors(h, ErrorKind.DROP).stream()
                    .filter(e -> e.tuple().dport() == port).toList();
            assertFalse(drops.isEmpty(), "the nft drops are reported");
            DropReasons reasons = DropReasons.fromBtf(Btf.vmlinux());
            assertTrue(drops.stream().anyMatch(e -> reasons.name(e.detail()).equals("NETFILTER_DROP")),
                    "drop reason NETFILTER_DROP from the kernel's BTF");
            assertTrue(drops.stream().noneMatch(e -> reasons.name(e.detail()).startsWith("REASON_")),
                    "every reason is named by the kernel");
        }
    }

    @Test
    void aBlackoutCausesTimeoutRetransmits() throws Exception {
        int port = 24611;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            CountDownLatch listening = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        s.getInputStream().readAllBytes();
                    }
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            Nstat before = Nstat.of(net.b());
            Future<Long> client = net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                    net.a().nftTable();
                    net.a().nftRule("input", "tcp dport " + port + " drop");
                    TcpExchange.writeBytes(s.getOutputStream(), 8000);
                    Thread.sleep(1500); // RTO (200 ms minimum) fires, doubling, while everything is dropped
                    net.a().nftFlush();
                    Thread.sleep(1500); // the next retransmission gets through
                    return 0L;
                }
            });
            client.get(30, TimeUnit.SECONDS);
            server.get(30, TimeUnit.SECONDS);
            long timeouts = Nstat.of(net.b()).since(before, "TcpExtTCPTimeouts");
            assertTrue(timeouts > 0, "nstat saw RTO timeouts");
            List<ErrorEvent> rto = errors(h, ErrorKind.RETRANSMIT).stream()
                    .filter(e -> e.tuple().dport() == port && RetransmitKind.label(e.detail()).equals("timeout"))
                    .toList();
            assertFalse(rto.isEmpty(), "retransmit events of kind timeout");
            ConnEvent close = h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.tuple().dport() == port, WAIT, "client close");
            assertTrue(close.stats().timeoutRetrans() > 0, "timeout retransmits counted: " + close.stats());
        }
    }

    @Test
    void droppedSynAcksCauseSynAndSynAckRetransmits() throws Exception {
        int port = 24612;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            net.b().nftTable();
            net.b().nftRule("input", "tcp sport " + port + " tcp flags & (syn | ack) == syn | ack drop");
            CountDownLatch listening = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    ss.accept().close();
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            Future<Integer> client = net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 15_000);
                    return s.getLocalPort();
                }
            });
            Thread.sleep(2500);
            net.b().nftFlush();
            int clientPort = client.get(20, TimeUnit.SECONDS);
            server.get(20, TimeUnit.SECONDS);
            h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.RETRANSMIT
                            && RetransmitKind.label(e.detail()).equals("synack")
                            && e.tuple().sport() == port && e.tuple().dport() == clientPort, WAIT,
                    "a SYN-ACK retransmit by the listener");
            h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.RETRANSMIT
                            && RetransmitKind.label(e.detail()).equals("syn")
                            && e.tuple().sport() == clientPort && e.tuple().dport() == port, WAIT,
                    "a SYN retransmit by the client");
        }
    }

    @Test
    void aConnectToAClosedPortIsResetOnBothSides() throws Exception {
        int port = 24613;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Nstat before = Nstat.of(net.a());
            int[] clientPort = new int[1];
            ExecutionException ex = assertThrows(ExecutionException.class, () -> net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.bind(new InetSocketAddress(net.b().address(false), 0));
                    clientPort[0] = s.getLocalPort();
                    s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                }
                return null;
            }).get(20, TimeUnit.SECONDS));
            assertTrue(ex.getCause() instanceof ConnectException, "connection refused: " + ex.getCause());
            assertTrue(Nstat.of(net.a()).since(before, "TcpOutRsts") > 0, "nstat: the server host sent a reset");

            ErrorEvent received = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.RESET && e.detail() == 1
                    && e.tuple().dport() == port, WAIT, "reset received by the client");
            ErrorEvent sent = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.RESET && e.detail() == 0
                    && e.tuple().sport() == port, WAIT, "reset sent by the server host");
            assertEquals(clientPort[0], received.tuple().sport());
            assertEquals(clientPort[0], sent.tuple().dport());
            assertEquals(net.a().ipv4(), sent.tuple().srcAddress());
            ConnEvent close = h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == received.cookie(), WAIT,
                    "close of the refused socket");
            assertFalse(close.stats().established(), "never established");
            assertEquals(1, close.stats().resets());
        }
    }

    @Test
    void dropsCarryTheRunningKernelsReasonName() throws Exception {
        int port = 24614;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            net.a().nftTable();
            net.a().nftRule("input", "tcp dport " + port + " drop");
            ExecutionException ex = assertThrows(ExecutionException.class, () -> net.b().submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(net.a().address(false), port), 1500);
                }
                return null;
            }).get(20, TimeUnit.SECONDS));
            assertTrue(ex.getCause() instanceof SocketTimeoutException, "SYNs dropped: " + ex.getCause());
            ErrorEvent drop = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && e.tuple().dport() == port,
                    WAIT, "a drop of a SYN to port " + port);
            long netfilterDrop = Btf.vmlinux().enumValues("skb_drop_reason").get("SKB_DROP_REASON_NETFILTER_DROP");
            assertEquals(netfilterDrop, drop.detail(), "reason value");
            assertEquals("NETFILTER_DROP", DropReasons.fromBtf(Btf.vmlinux()).name(drop.detail()));
            assertEquals(6, drop.extra(), "protocol tcp");
            assertEquals(net.b().ipv4(), drop.tuple().srcAddress(), "the packet's own source");
            h.agent().pollNow();
            long counted = h.agent().maps().counters().read().entrySet().stream()
                    .filter(e -> e.getKey().kind() == CounterKind.DROP && e.getKey().detail() == netfilterDrop)
                    .mapToLong(java.util.Map.Entry::getValue).sum();
            long events = errors(h, ErrorKind.DROP).stream().filter(e -> e.detail() == netfilterDrop).count();
            assertTrue(counted >= events && counted > 0, "in-kernel drop counter " + counted + " >= events " + events);
        }
    }

    @Test
    void badChecksumsAreReportedSenderFirstWithTheReceivingSocket() throws Exception {
        int port = 24615;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            CountDownLatch listening = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    done.await(30, TimeUnit.SECONDS);
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            try {
                long listener = SsSocket.parse(net.a().exec("ss", "-ltneH", "sport = :" + port)).get(0).cookie();
                Nstat before = Nstat.of(net.a());
                net.b().submit(() -> {
                    // Short: checked on arrival, before any socket is looked up. Long: checked by the listener.
                    RawTcp.sendBadChecksumSyn(net.b().address(false), 40001, net.a().address(false), port, 12345);
                    RawTcp.sendBadChecksumSyn(net.b().address(false), 40002, net.a().address(false), port, 23456, 200);
                    return null;
                }).get(10, TimeUnit.SECONDS);
                DropReasons reasons = DropReasons.fromBtf(Btf.vmlinux());
                for (int sport : new int[] {40001, 40002}) {
                    ErrorEvent bad = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.BAD_CHECKSUM
                            && e.tuple().sport() == sport, WAIT, "a bad checksum from port " + sport);
                    assertEquals(port, bad.tuple().dport(), "sender first, as the packet travelled");
                    assertEquals(net.b().ipv4(), bad.tuple().srcAddress());
                    assertEquals(net.a().ipv4(), bad.tuple().dstAddress());
                    assertEquals(sport == 40001 ? 12345 : 23456, bad.seq());
                    assertEquals(sport == 40001 ? 0 : 200, bad.len());
                    assertEquals(0x02, bad.tcpFlags(), "a SYN");
                    assertEquals(sport == 40001 ? 0 : listener, bad.cookie(), "the listener it reached (ss -e sk:)");
                    assertEquals(sport == 40001 ? 0 : ProcessHandle.current().pid(), bad.pid(), "the listener's process");
                    ErrorEvent drop = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP
                            && e.tuple().sport() == sport, WAIT, "the same segment's drop");
                    assertEquals("TCP_CSUM", reasons.name(drop.detail()));
                    assertEquals(bad.tuple(), drop.tuple(), "one orientation for both");
                    assertEquals(bad.seq(), drop.seq());
                    assertEquals(bad.cookie(), drop.cookie());
                    assertEquals(bad.pid(), drop.pid());
                }
                assertTrue(Nstat.of(net.a()).since(before, "TcpInCsumErrors") >= 2, "nstat TcpInCsumErrors");
            } finally {
                done.countDown();
                server.get(10, TimeUnit.SECONDS);
            }
        }
    }
}
