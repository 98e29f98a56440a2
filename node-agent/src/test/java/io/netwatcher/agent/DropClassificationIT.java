package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelSymbols;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.RawIcmp;
import io.netwatcher.testing.RawTcp;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drops that are not losses (ping replies, purged buffers, zero-window probes) are counted apart
 * and stay out of the default event stream; real drops carry the segment's own numbers.
 */
class DropClassificationIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static DropReasons reasons;

    @BeforeAll
    static void preconditions() throws IOException {
        Kernel.requireRootKernel();
        reasons = DropReasons.fromBtf(Btf.vmlinux());
    }

    /** The default configuration plus benign drop events. */
    private static ProbeConfig withBenignEvents() {
        return AgentHarness.testConfig().toBuilder().benignDropEvents(true).build();
    }

    private static int reason(String name) {
        return reasons.value(name).orElseThrow(() -> new AssertionError("this kernel has no drop reason " + name));
    }

    private static long counted(AgentHarness h, CounterKind kind, int reason) {
        return h.agent().maps().counters().read().entrySet().stream()
                .filter(e -> e.getKey().kind() == kind && e.getKey().detail() == reason)
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Drop events (losses or benign) of ICMP between the two test hosts. */
    private static List<ErrorEvent> icmpDrops(AgentHarness h, TestNet net) {
        return h.events(ErrorEvent.class, e -> (e.kind() == ErrorKind.DROP || e.kind() == ErrorKind.BENIGN_DROP)
                && e.extra() == 1 && (e.tuple().srcAddress().equals(net.a().ipv4())
                || e.tuple().dstAddress().equals(net.a().ipv4())));
    }

    @Test
    void pingRepliesAreCountedAsBenignAndAreNotDropEvents() throws Exception {
        int noSocket = reason("NO_SOCKET");
        try (TestNet net = TestNet.create()) {
            try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
                long before = counted(h, CounterKind.DROP_BENIGN, noSocket);
                int replies = net.b().submit(() -> RawIcmp.ping(net.a().address(false), 5, 0x4e57))
                        .get(20, TimeUnit.SECONDS);
                assertEquals(5, replies, "every echo was answered");
                Thread.sleep(500);
                assertTrue(icmpDrops(h, net).isEmpty(), "no drop event for a successful ping: " + icmpDrops(h, net));
                assertTrue(counted(h, CounterKind.DROP_BENIGN, noSocket) - before >= 5,
                        "each reply counted as a benign NO_SOCKET free");
            }
            try (AgentHarness h = AgentHarness.start(withBenignEvents())) {
                int replies = net.b().submit(() -> RawIcmp.ping(net.a().address(false), 3, 0x4e58))
                        .get(20, TimeUnit.SECONDS);
                assertEquals(3, replies);
                ErrorEvent benign = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.BENIGN_DROP
                        && e.detail() == noSocket && e.tuple().dstAddress().equals(net.b().ipv4()), WAIT,
                        "the reply as an opt-in benign_drop event");
                assertEquals(net.a().ipv4(), benign.tuple().srcAddress(), "the reply's own sender");
                String where = KernelSymbols.load(Path.of("/proc/kallsyms")).describe(benign.location());
                assertTrue(where.startsWith("ping_rcv"), "freed at ping_rcv: " + where);
                assertTrue(h.events(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && e.extra() == 1
                        && e.tuple().dstAddress().equals(net.b().ipv4())).isEmpty(), "and never as a loss");
            }
        }
    }

    @Test
    void zeroWindowProbesAndPurgedDataAreBenign() throws Exception {
        int port = 24640;
        int purgePort = 24641;
        int oldSequence = reason("TCP_OLD_SEQUENCE");
        int purge = reason("QUEUE_PURGE");
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(withBenignEvents())) {
            // A receiver that never reads with a tiny buffer: the window closes, the sender probes it.
            CountDownLatch listening = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.setReceiveBufferSize(4096);
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        done.await(30, TimeUnit.SECONDS);
                    }
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            Socket client = net.b().submit(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                return s;
            }).get(10, TimeUnit.SECONDS);
            Future<?> writer = net.b().submit(() -> {
                TcpExchange.writeBytes(client.getOutputStream(), 50_000_000); // blocks on the zero window
                return null;
            });
            h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.BENIGN_DROP && e.detail() == oldSequence
                    && e.tuple().dport() == port, Duration.ofSeconds(15), "a zero-window probe, benign");
            client.close();
            done.countDown();
            server.get(10, TimeUnit.SECONDS);
            writer.cancel(true);

            // Data in a connection the server never accepted, purged when the listener closes.
            CountDownLatch queued = new CountDownLatch(1);
            Future<?> listener = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), purgePort));
                    queued.countDown();
                    Thread.sleep(1000);
                }
                return null;
            });
            assertTrue(queued.await(10, TimeUnit.SECONDS));
            try (Socket s = net.b().submit(() -> {
                Socket c = new Socket();
                c.connect(new InetSocketAddress(net.a().address(false), purgePort), 5000);
                TcpExchange.writeBytes(c.getOutputStream(), 3000);
                return c;
            }).get(10, TimeUnit.SECONDS)) {
                listener.get(10, TimeUnit.SECONDS);
                ErrorEvent purged = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.BENIGN_DROP
                        && e.detail() == purge && e.tuple().dport() == purgePort, WAIT, "the purged data, benign");
                assertEquals(3000, purged.len(), "the unread segment's payload");
                assertEquals(net.b().ipv4(), purged.tuple().srcAddress(), "sender first");
            }
            Thread.sleep(300);
            assertTrue(h.events(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && (e.tuple().dport() == port
                    || e.tuple().dport() == purgePort) && (e.detail() == oldSequence || e.detail() == purge)).isEmpty(),
                    "neither is reported as a loss");
            assertTrue(counted(h, CounterKind.DROP_BENIGN, oldSequence) > 0, "counted as benign");
            assertTrue(counted(h, CounterKind.DROP_BENIGN, purge) > 0, "counted as benign");
        }
    }

    @Test
    void anInvalidSequenceDropCarriesTheSegmentsSequenceAndAck() throws Exception {
        int port = 24642;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            CountDownLatch listening = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            Future<?> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port));
                    listening.countDown();
                    try (Socket s = ss.accept()) {
                        TcpExchange.readExactly(s.getInputStream(), 100);
                        done.await(30, TimeUnit.SECONDS);
                    }
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            try (Socket client = net.b().submit(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                TcpExchange.writeBytes(s.getOutputStream(), 100);
                return s;
            }).get(10, TimeUnit.SECONDS)) {
                int clientPort = client.getLocalPort();
                // The segment as the server received it: rcv_nxt = seq + len; its ack is the server's snd_nxt.
                PacketEvent rx = h.await(PacketEvent.class, p -> p.direction() == Direction.RX
                        && p.tuple().sport() == port && p.len() == 100, WAIT, "the 100 bytes received");
                long seq = (rx.seq() + 100 + (1L << 30)) & 0xffffffffL; // far beyond any receive window
                long ack = rx.ack();
                net.b().submit(() -> {
                    RawTcp.sendSegment(net.b().address(false), clientPort, net.a().address(false), port, seq, ack,
                            0x10 /* ACK */);
                    return null;
                }).get(10, TimeUnit.SECONDS);
                ErrorEvent drop = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && e.seq() == seq
                        && e.tuple().dport() == port, WAIT, "the out-of-window segment dropped");
                assertEquals("TCP_INVALID_SEQUENCE", reasons.name(drop.detail()));
                assertEquals(ack, drop.ack(), "its acknowledgement number");
                assertEquals(0x10, drop.tcpFlags(), "its flags");
                assertEquals(clientPort, drop.tuple().sport(), "sender first");
                assertEquals(net.b().ipv4(), drop.tuple().srcAddress());
                assertTrue(drop.cookie() != 0 && drop.pid() == ProcessHandle.current().pid(),
                        "the receiving socket and its owner: " + drop);
            } finally {
                done.countDown();
                server.get(10, TimeUnit.SECONDS);
            }
        }
    }
}
