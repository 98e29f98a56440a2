package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.cost.CostConfig;
import io.netwatcher.event.Direction;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TestNet;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Packet timing picked in the kernel at each packet's first hook: a fixed 1-in-N times about one
 * segment in N, and the CPU budget raises N under load and lowers it again when the load stops.
 */
class SamplingIT {
    private static final int ROUND_TRIPS = 4000;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    private static ProbeConfig timing(int every) {
        return AgentHarness.testConfig().toBuilder().timeEvery(every).build();
    }

    /** {@link #ROUND_TRIPS} request/response pairs of 100 bytes each way, one segment each. */
    private static void pingPong(TestNet net, int port) throws Exception {
        CountDownLatch listening = new CountDownLatch(1);
        Future<?> server = net.a().submit(() -> {
            try (ServerSocket ss = new ServerSocket()) {
                ss.bind(new InetSocketAddress(net.a().address(false), port));
                listening.countDown();
                try (Socket s = ss.accept()) {
                    s.setTcpNoDelay(true);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    byte[] b = new byte[100];
                    for (int i = 0; i < ROUND_TRIPS; i++) {
                        in.readFully(b);
                        out.write(b);
                    }
                }
            }
            return null;
        });
        assertTrue(listening.await(10, TimeUnit.SECONDS));
        net.b().submit(() -> {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] b = new byte[100];
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    out.write(b);
                    in.readFully(b);
                }
            }
            return null;
        }).get(60, TimeUnit.SECONDS);
        server.get(10, TimeUnit.SECONDS);
    }

    private static long packets(AgentHarness h, int port, Direction d) {
        return h.events(PacketEvent.class, p -> p.direction() == d && p.len() == 100
                && (p.tuple().sport() == port || p.tuple().dport() == port)).size();
    }

    @Test
    void everyPacketIsTimedAtOneInOne() throws Exception {
        int port = 24620;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(timing(1))) {
            pingPong(net, port);
            Thread.sleep(500);
            h.agent().pollNow();
            // Both ends are on this host: each 100-byte segment is received once and sent once.
            assertEquals(2L * ROUND_TRIPS, packets(h, port, Direction.RX), "every received segment timed");
            assertEquals(2L * ROUND_TRIPS, packets(h, port, Direction.TX), "every sent segment timed");
        }
    }

    @Test
    void oneInEightTimesAboutAnEighthOfTheSegments() throws Exception {
        int port = 24621;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(timing(8))) {
            long rxBefore = h.agent().stats().kernelStat(KernelStat.RX_PICKED);
            pingPong(net, port);
            Thread.sleep(500);
            h.agent().pollNow();
            long rx = packets(h, port, Direction.RX);
            long tx = packets(h, port, Direction.TX);
            // Expected 2 * 4000 / 8 = 1000 each; random gaps of mean 8: far inside a factor of two.
            assertTrue(rx > 500 && rx < 2000, "received segments timed: " + rx);
            assertTrue(tx > 500 && tx < 2000, "sent segments timed: " + tx);
            long picked = h.agent().stats().kernelStat(KernelStat.RX_PICKED) - rxBefore;
            assertTrue(picked >= rx, "picked at the first hook " + picked + " >= timed " + rx);
        }
    }

    @Test
    void theBudgetTimesFewerPacketsUnderLoadAndMoreWhenItStops() throws Exception {
        Kernel.require(Sh.which("iperf3"), "iperf3 on PATH");
        CostConfig tight = new CostConfig(0.0005, 4096, 1500, 500, false, 0);
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(timing(1), tight)) {
            Process server = new ProcessBuilder("ip", "netns", "exec", net.a().name(), "iperf3", "-s", "-1", "-p",
                    "24622").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(500);
            Sh.ok("ip", "netns", "exec", net.b().name(), "iperf3", "-c", net.a().ipv4(), "-p", "24622", "-t", "8");
            server.waitFor(10, TimeUnit.SECONDS);
            int loaded = h.agent().budget().timeEvery();
            assertTrue(loaded > 1, "under load the budget of 0.05 % of a core times fewer packets: 1 in " + loaded
                    + ", cost " + h.agent().budget().lastCost());
            assertEquals(loaded, controlValue(h), "the kernel got the sampling");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (h.agent().budget().timeEvery() >= loaded && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(h.agent().budget().timeEvery() < loaded, "idle again: more packets timed, 1 in "
                    + h.agent().budget().timeEvery());
        }
    }

    /** {@code bytes} from host B to a reader on host A, returns the bytes timed by received packet events. */
    private static long bulkReceive(TestNet net, AgentHarness h, int port, int bytes) throws Exception {
        CountDownLatch listening = new CountDownLatch(1);
        Future<Long> server = net.a().submit(() -> {
            try (ServerSocket ss = new ServerSocket()) {
                ss.bind(new InetSocketAddress(net.a().address(false), port));
                listening.countDown();
                try (Socket s = ss.accept()) {
                    long n = 0;
                    byte[] buf = new byte[1 << 16];
                    for (int r; (r = s.getInputStream().read(buf)) > 0; ) {
                        n += r;
                    }
                    return n;
                }
            }
        });
        assertTrue(listening.await(10, TimeUnit.SECONDS));
        net.b().submit(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                byte[] chunk = new byte[1 << 16];
                for (int sent = 0; sent < bytes; sent += chunk.length) {
                    s.getOutputStream().write(chunk);
                }
            }
            return null;
        }).get(60, TimeUnit.SECONDS);
        assertEquals(bytes, server.get(30, TimeUnit.SECONDS));
        Thread.sleep(300);
        h.agent().pollNow();
        return h.events(PacketEvent.class, p -> p.direction() == Direction.RX && p.tuple().sport() == port)
                .stream().mapToLong(PacketEvent::len).sum();
    }

    /** The receiver's veth merges segments (GRO) as a NIC does; the sender sends them one by one. */
    private static void groOnTheReceiver(TestNet net) {
        net.b().exec("ethtool", "-K", net.b().iface(), "tso", "off", "gso", "off");
        net.a().exec("ethtool", "-K", net.a().iface(), "gro", "on");
    }

    @Test
    void withGroEveryMergedPacketIsTimedAtOneInOne() throws Exception {
        Kernel.require(Sh.which("ethtool"), "ethtool on PATH");
        int port = 24623;
        int bytes = 8 << 20;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(timing(1))) {
            groOnTheReceiver(net);
            long timed = bulkReceive(net, h, port, bytes);
            // Merged segments are timed in the skb GRO built. A bulk reader that falls 16 skbs behind
            // leaves some untimed past the IP layer (counted as untracked): 60-100 % of the bytes are
            // covered on a quiet machine, 25 % was seen with both cores kept busy by other work; a
            // jammed pick table covered 4 %.
            assertTrue(timed >= 0.15 * bytes, "bytes covered by received packet events: " + timed + " of " + bytes
                    + ", rx untracked " + h.agent().stats().kernelStat(KernelStat.RX_UNTRACKED));
        }
    }

    @Test
    void withGroOneInEightTimesAboutAnEighth() throws Exception {
        Kernel.require(Sh.which("ethtool"), "ethtool on PATH");
        int port = 24624;
        int bytes = 16 << 20;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(timing(8))) {
            groOnTheReceiver(net);
            long timed = bulkReceive(net, h, port, bytes);
            // An eighth of what 1 in 1 covers (60-100 % quiet, down to 25 % on a busy machine), and
            // never what timing every packet gives.
            assertTrue(timed > bytes / 128 && timed < bytes / 2, "bytes covered at 1 in 8: " + timed + " of " + bytes);
        }
    }

    private static int controlValue(AgentHarness h) {
        return h.agent().maps().control().timeEvery();
    }

    @Test
    void theSamplingIsExportedWithTheCost() throws Exception {
        try (AgentHarness h = AgentHarness.start(timing(4))) {
            assertEquals(4, h.agent().budget().timeEvery());
            assertEquals(4, controlValue(h));
        }
    }
}
