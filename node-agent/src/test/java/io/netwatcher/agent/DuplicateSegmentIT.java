package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Nstat;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.SsSocket;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every data segment the client sends reaches the server twice: an nft {@code dup} rule in the
 * client's output hook sends a copy ahead of it. TCP keeps the bytes of the first to arrive and
 * drops the other. The agent reports each received byte once: the server's packet events never
 * cover a sequence range twice and add up to at most the bytes sent, and the copies are counted
 * as duplicates (rx_duplicate), no more of them than the server's kernel received (its D-SACKs for
 * old data, `TcpExtTCPDSACKOldSent`) and nft made.
 *
 * <p>The other way round: a socket filter on the server drops segments after the transport entry,
 * where the agent has already seen them. Their retransmissions are not duplicates: the agent
 * counts none beyond the kernel's old data, and still reports each range once.
 */
class DuplicateSegmentIT {
    private static final long UP = 2_000_003;
    private static final long DOWN = 4_099;
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+) bytes (\\d+)");

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void aCopyOfAReceivedSegmentIsNotASecondPacket(boolean v6) throws Exception {
        int port = v6 ? 24613 : 24612;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            String family = v6 ? "ip6" : "ip";
            String server = v6 ? net.a().ipv6() : net.a().ipv4();
            net.b().exec("nft", "add", "table", family, "nwdup");
            net.b().exec("nft", "add chain " + family + " nwdup output { type filter hook output priority 0; }");
            // Segments with data only: copies of ACKs would be duplicate ACKs to the server.
            net.b().exec("nft", "add rule " + family + " nwdup output " + family + " daddr " + server + " tcp dport "
                    + port + " " + family + " length gt 100 counter dup to " + server);
            long dupBefore = h.agent().stats().kernelStat(KernelStat.RX_DUPLICATE);
            Nstat serverBefore = Nstat.of(net.a());

            TcpExchange.Result r = TcpExchange.run(net, v6, port, UP, DOWN);
            SsSocket ssServer = r.serverBeforeClose();
            // The copy leaves through the output hook too and is counted there (not copied again).
            long copies = nftPackets(net.b().exec("nft", "list", "table", family, "nwdup")) / 2;
            long oldData = Nstat.of(net.a()).since(serverBefore, "TcpExtTCPDSACKOldSent");
            assertTrue(copies > 0 && oldData > 0, "copies of the client's segments: " + copies + " made by nft, "
                    + oldData + " received by the server as old data");

            // The copies reach the agent's count at its next poll.
            long deadline = System.nanoTime() + 10_000_000_000L;
            long dup;
            while ((dup = h.agent().stats().kernelStat(KernelStat.RX_DUPLICATE) - dupBefore) == 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(dup > 0 && dup <= Math.min(copies, oldData), "segments counted as duplicates: " + dup + "; "
                    + copies + " copies made, " + oldData + " received as old data");

            h.awaitConn(ConnEvent.Kind.CLOSE, c -> c.cookie() == ssServer.cookie(), Duration.ofSeconds(10),
                    "close of the server socket");
            assertEachRangeOnce(h.events(PacketEvent.class,
                    p -> p.cookie() == ssServer.cookie() && p.direction() == Direction.RX), UP);
        }
    }

    private static final int WRITES = 200;
    private static final int WRITE = 1_400;

    /** One in eight IPv4 packets dropped by their IP ID (a resent segment has a new one). */
    private static final String FILTERED_SERVER = """
            import ctypes, socket, struct, sys
            # ldh [net + 4]; and #7; jeq #0 -> ret #0 (drop) else ret #-1: a socket filter runs after
            # the cgroup_skb ingress programs, so the agent has seen the segments it drops.
            prog = [(0x28, 0, 0, 0xfff00004), (0x54, 0, 0, 7), (0x15, 0, 1, 0), (0x06, 0, 0, 0), (0x06, 0, 0, 0xffffffff)]
            buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, 26, struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(buf)))
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.listen(1)
            print("ready", flush=True)
            c, _ = s.accept()
            n = 0
            while True:
                b = c.recv(65536)
                if not b:
                    break
                n += len(b)
            print("got", n, flush=True)
            """;

    @Test
    void aSegmentTcpDropsAfterTheTransportEntryIsNotTheDuplicateOfItsRetransmission() throws Exception {
        Kernel.require(Sh.which("python3"), "python3");
        int port = 24614;
        long bytes = (long) WRITES * WRITE;
        Path script = Files.createTempFile("nw-filtered-server", ".py");
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Files.writeString(script, FILTERED_SERVER);
            long dupBefore = h.agent().stats().kernelStat(KernelStat.RX_DUPLICATE);
            Nstat serverBefore = Nstat.of(net.a());
            Nstat clientBefore = Nstat.of(net.b());
            Process server = new ProcessBuilder("ip", "netns", "exec", net.a().name(), "python3", script.toString(),
                    net.a().ipv4(), "" + port).redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("ready", out.readLine(), "the server listens with its filter");
                // Writes of their own, one segment each (under one MSS, no Nagle, a pause against
                // autocorking): their IP IDs are one apart, so the filter drops every eighth.
                net.b().exec("python3", "-c", "import socket, time\n"
                        + "s = socket.create_connection(('" + net.a().ipv4() + "', " + port + "))\n"
                        + "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
                        + "for i in range(" + WRITES + "):\n"
                        + "    s.sendall(b'x' * " + WRITE + ")\n"
                        + "    time.sleep(0.002)\n"
                        + "s.close()\n");
                assertEquals("got " + bytes, out.readLine(), "the server's own count");
                assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server finished");
            } finally {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
            long resent = Nstat.of(net.b()).since(clientBefore, "TcpRetransSegs");
            long oldData = Nstat.of(net.a()).since(serverBefore, "TcpExtTCPDSACKOldSent");
            assertTrue(resent > 0, "the client resent what the filter dropped: " + resent + " segments");
            Thread.sleep(500); // the last reads' events and statistics reach the agent
            h.agent().pollNow();
            long dup = h.agent().stats().kernelStat(KernelStat.RX_DUPLICATE) - dupBefore;
            assertTrue(dup <= oldData, "segments counted as duplicates: " + dup + ", received as old data by the"
                    + " server's kernel: " + oldData + " (" + resent + " resent)");
            assertEachRangeOnce(h.events(PacketEvent.class,
                    p -> p.tuple().sport() == port && p.direction() == Direction.RX), bytes);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** The received packet events of one socket never cover a byte twice and add up to at most {@code sent}. */
    private static void assertEachRangeOnce(List<PacketEvent> rx, long sent) {
        assertFalse(rx.isEmpty(), "received packets reported for the server socket");
        // Sequence numbers relative to the first event's, as TCP compares them (they may wrap).
        long base = rx.get(0).seq();
        List<PacketEvent> bySeq = rx.stream().sorted(Comparator.comparingInt(p -> (int) (p.seq() - base))).toList();
        long bytes = 0;
        for (int i = 0; i < bySeq.size(); i++) {
            PacketEvent p = bySeq.get(i);
            bytes += p.len();
            if (i > 0) {
                PacketEvent before = bySeq.get(i - 1);
                assertTrue((int) (p.seq() - before.seq()) >= before.len(), "two packet events cover the same bytes: "
                        + before + " and " + p);
            }
        }
        assertTrue(bytes <= sent, "server RX payload in packet events " + bytes + " <= " + sent + " sent");
    }

    private static long nftPackets(String table) {
        Matcher m = COUNTER.matcher(table);
        assertTrue(m.find(), "nft counter in: " + table);
        long packets = Long.parseLong(m.group(1));
        assertEquals(-1, table.indexOf("counter", m.end()), "one counter rule");
        return packets;
    }
}
