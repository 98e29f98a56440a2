package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Direction;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.Layer;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Role;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.SsSocket;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real TCP traffic between two network namespaces, IPv4 and IPv6: what the agent reports is
 * checked against the bytes the test sent and the kernel's own view (`ss -tie`, joined by cookie).
 */
class TcpTrafficIT {
    private static final long UP = 3_000_017;
    private static final long DOWN = 1_234_567;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void reportsConnectionsPacketsAndFlowsThatMatchTheKernel(boolean v6) throws Exception {
        int port = v6 ? 24601 : 24600;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            ConnStats[] live = new ConnStats[2];
            TcpExchange.Result r = TcpExchange.run(net, v6, port, UP, DOWN, (c, s) -> {
                h.agent().refreshConnections();
                live[0] = h.agent().connection(c.cookie()).orElseThrow(() -> new AssertionError("client not tracked"));
                live[1] = h.agent().connection(s.cookie()).orElseThrow(() -> new AssertionError("server not tracked"));
            });
            SsSocket ssClient = r.clientBeforeClose();
            SsSocket ssServer = r.serverBeforeClose();

            ConnEvent clientClose = h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == ssClient.cookie(), WAIT,
                    "close of the client socket (cookie " + ssClient.cookie() + ")");
            ConnEvent serverClose = h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == ssServer.cookie(), WAIT,
                    "close of the server socket");
            ConnEvent clientOpen = h.awaitConn(ConnEvent.Kind.OPEN, c -> c.cookie() == ssClient.cookie(), WAIT,
                    "open of the client socket");
            ConnEvent serverOpen = h.awaitConn(ConnEvent.Kind.OPEN, c -> c.cookie() == ssServer.cookie(), WAIT,
                    "open of the server socket");

            // Who and where.
            int pid = (int) ProcessHandle.current().pid();
            assertEquals(Role.CLIENT, clientOpen.stats().role());
            assertEquals(Role.SERVER, serverOpen.stats().role());
            assertEquals(pid, clientOpen.pid(), "client pid (tcpconnect)");
            assertEquals(TcpExchange.CLIENT_THREAD, clientOpen.comm(), "comm of the connect()ing thread");
            assertEquals(v6 ? "ipv6" : "ipv4", clientOpen.tuple().familyName());
            assertEquals(r.clientPort(), clientOpen.tuple().sport());
            assertEquals(port, clientOpen.tuple().dport());
            assertEquals(port, serverOpen.tuple().sport());
            assertEquals(r.clientPort(), serverOpen.tuple().dport());
            assertTrue(clientClose.stats().established());

            // Bytes in close events equal what was sent.
            assertEquals(UP, clientClose.stats().bytesSent(), "client bytes_sent (acked)");
            assertEquals(DOWN, clientClose.stats().bytesReceived(), "client bytes_received");
            assertEquals(DOWN, serverClose.stats().bytesSent(), "server bytes_sent (acked)");
            assertEquals(UP, serverClose.stats().bytesReceived(), "server bytes_received");
            assertTrue(clientClose.durationMs() >= 0 && clientClose.durationMs() < 60_000);

            // The same sockets as ss saw them just before close, against the agent's record then.
            assertEquals(ssClient.bytesAcked() - 1, UP, "ss bytes_acked counts the SYN");
            assertEquals(ssClient.bytesAcked() - 1, live[0].bytesSent(), "client bytes_sent vs ss bytes_acked");
            assertEquals(ssClient.bytesReceived(), live[0].bytesReceived(), "client bytes_received vs ss");
            assertEquals(ssServer.bytesReceived(), live[1].bytesReceived(), "server bytes_received vs ss");
            assertClose(ssClient.rttUs(), live[0].srttUs(), "client srtt_us vs ss rtt");
            assertClose(ssServer.rttUs(), live[1].srttUs(), "server srtt_us vs ss rtt");
            assertEquals(ssClient.cwnd(), live[0].cwnd(), "client cwnd vs ss");
            assertEquals(ssServer.cwnd(), live[1].cwnd(), "server cwnd vs ss");
            assertEquals(ssClient.totalRetrans(), live[0].totalRetrans(), "client retransmits vs ss");
            assertEquals(ssClient.totalRetrans(), clientClose.stats().totalRetrans(), "retransmits at close vs ss");

            // Flows: per-interval byte counts of the owning process add up to what was sent.
            List<FlowEvent> flows = h.events(FlowEvent.class, f -> f.cookie() == ssClient.cookie());
            assertFalse(flows.isEmpty(), "flow events for the client socket");
            assertEquals(UP, flows.stream().mapToLong(FlowEvent::txBytes).sum(), "flow tx bytes");
            assertEquals(DOWN, flows.stream().mapToLong(FlowEvent::rxBytes).sum(), "flow rx bytes");
            assertTrue(flows.stream().allMatch(f -> f.pid() == pid), "the owning process");
            assertTrue(flows.stream().allMatch(f -> f.comm().equals(TcpExchange.CLIENT_THREAD)), "its comm");

            // Packets on both sockets, both directions, with sane layer times.
            List<PacketEvent> packets = h.events(PacketEvent.class,
                    p -> p.cookie() == ssClient.cookie() || p.cookie() == ssServer.cookie());
            List<PacketEvent> rx = packets.stream().filter(p -> p.direction() == Direction.RX).toList();
            List<PacketEvent> tx = packets.stream().filter(p -> p.direction() == Direction.TX).toList();
            assertFalse(rx.isEmpty(), "received packets reported");
            assertFalse(tx.isEmpty(), "sent packets reported");
            long rxBytes = rx.stream().filter(p -> p.cookie() == ssServer.cookie()).mapToLong(PacketEvent::len).sum();
            // A segment the server had received already is no packet event (DuplicateSegmentIT); one the
            // client resent that overlaps bytes not yet seen counts whole: at most the resent bytes more.
            long resent = Math.max(0, ssClient.bytesRetrans()); // ss prints no bytes_retrans before the first
            assertTrue(rxBytes > 0 && rxBytes <= UP + resent, "server RX payload " + rxBytes + " <= " + UP + " + "
                    + resent + " bytes the client resent");
            // Each received range is one event: a segment with only bytes received before is none.
            assertEquals(rx.size(), rx.stream().map(p -> p.cookie() + ":" + p.seq() + "+" + p.len()).distinct().count(),
                    "two received packet events of one socket with the same bytes");
            for (PacketEvent p : packets) {
                assertLayersSane(p);
            }
            assertTrue(rx.stream().anyMatch(p -> Layer.RX.stream().allMatch(l -> p.layerNs(l) >= 0)),
                    "some RX packet crossed all four RX layers");
            assertTrue(tx.stream().anyMatch(p -> Layer.TX.stream().allMatch(l -> p.layerNs(l) >= 0)),
                    "some TX packet crossed all three TX layers");
        }
    }

    static void assertLayersSane(PacketEvent p) {
        long sum = 0;
        for (Layer l : Layer.of(p.direction())) {
            long ns = p.layerNs(l);
            assertTrue(ns >= -1, "layer time is never negative: " + p);
            if (ns > 0) {
                sum += ns;
            }
        }
        assertTrue(sum <= p.totalNs(), "layers sum " + sum + " <= total " + p.totalNs() + ": " + p);
        assertTrue(p.totalNs() >= 0);
    }

    /** Agent and ss read the same tcp_sock fields; allow 10% + 20 us for an update in between. */
    static void assertClose(long expectedUs, long actualUs, String what) {
        long tol = Math.max(20, expectedUs / 10);
        assertTrue(Math.abs(expectedUs - actualUs) <= tol, what + ": ss " + expectedUs + " vs agent " + actualUs);
    }
}
