package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.Direction;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bulk GSO traffic with every packet timed: one TX packet event per data segment the device
 * sent, as tcpdump counts them on the sender's veth, carrying all the bytes written.
 */
class TxCoverageIT {
    private static final int BYTES = 4 << 20;
    /** tcpdump -S: "seq FIRST:END, ... length N". */
    private static final Pattern SEGMENT = Pattern.compile(" seq (\\d+):\\d+,.* length (\\d+)");

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("tcpdump"), "tcpdump on PATH");
    }

    /**
     * Sequential short connections from one process: sockets reuse freed addresses, and every
     * segment sent still names the process that sent it.
     */
    @Test
    void sequentialConnectionsKeepTheirSender() throws Exception {
        int port = 24631;
        int connections = 200;
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            CountDownLatch listening = new CountDownLatch(1);
            Future<Void> server = net.a().submit(() -> {
                try (ServerSocket ss = new ServerSocket()) {
                    ss.bind(new InetSocketAddress(net.a().address(false), port), 64);
                    listening.countDown();
                    for (int i = 0; i < connections; i++) {
                        try (Socket s = ss.accept()) {
                            s.getInputStream().readNBytes(100);
                        }
                    }
                }
                return null;
            });
            assertTrue(listening.await(10, TimeUnit.SECONDS));
            net.b().submit(() -> {
                for (int i = 0; i < connections; i++) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                        s.getOutputStream().write(new byte[100]);
                        s.getInputStream().read();
                    }
                }
                return null;
            }).get(60, TimeUnit.SECONDS);
            server.get(10, TimeUnit.SECONDS);
            Thread.sleep(300);
            h.agent().pollNow();
            List<PacketEvent> sent = h.events(PacketEvent.class, p -> p.direction() == Direction.TX
                    && p.tuple().dport() == port && p.len() == 100);
            assertEquals(connections, sent.size(), "every request segment timed");
            int pid = (int) ProcessHandle.current().pid();
            assertEquals(List.of(), sent.stream().filter(p -> p.pid() != pid).map(p -> p.pid() + "/" + p.comm())
                    .toList(), "every segment names its sender");
        }
    }

    @Test
    void everyBulkSegmentSentIsTimed() throws Exception {
        int port = 24630;
        Path capture = Files.createTempFile("nw-tx", ".txt");
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Process dump = new ProcessBuilder("ip", "netns", "exec", net.b().name(), "tcpdump", "-nn", "-S", "-l",
                    "-s", "128", "-B", "16384", "-i", net.b().iface(), "tcp and dst port " + port).redirectOutput(capture.toFile()).start();
            try {
                BufferedReader err = new BufferedReader(new InputStreamReader(dump.getErrorStream(),
                        StandardCharsets.UTF_8));
                String line = err.readLine();
                while (line != null && !line.contains("listening on")) {
                    line = err.readLine();
                }
                assertTrue(line != null, "tcpdump started");
                CountDownLatch listening = new CountDownLatch(1);
                Future<Long> server = net.a().submit(() -> {
                    try (ServerSocket ss = new ServerSocket()) {
                        ss.bind(new InetSocketAddress(net.a().address(false), port));
                        listening.countDown();
                        try (Socket s = ss.accept()) {
                            long n = 0;
                            byte[] buf = new byte[1 << 16];
                            InputStream in = s.getInputStream();
                            for (int r; (r = in.read(buf)) > 0; ) {
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
                        s.getOutputStream().write(new byte[BYTES]); // one write: the kernel builds GSO segments
                        s.shutdownOutput();
                        s.getInputStream().read();
                    }
                    return null;
                }).get(60, TimeUnit.SECONDS);
                assertEquals(BYTES, server.get(10, TimeUnit.SECONDS));
                Thread.sleep(300);
            } finally {
                dump.destroy(); // SIGTERM: tcpdump flushes what it captured
                dump.waitFor(10, TimeUnit.SECONDS);
            }
            h.agent().pollNow();
            // Distinct data segments by first sequence number: a retransmission is not a new segment.
            Map<Long, Long> wire = new TreeMap<>();
            for (String l : Files.readAllLines(capture)) {
                Matcher m = SEGMENT.matcher(l);
                if (m.find() && Long.parseLong(m.group(2)) > 0) {
                    wire.put(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
                }
            }
            assertEquals(BYTES, wire.values().stream().mapToLong(Long::longValue).sum(),
                    "tcpdump saw every byte leave");
            Map<Long, Long> timed = new TreeMap<>();
            for (PacketEvent p : h.events(PacketEvent.class, p -> p.direction() == Direction.TX
                    && p.tuple().dport() == port && p.len() > 0)) {
                timed.put(p.seq(), p.len());
            }
            assertEquals(wire, timed, "one TX event per data segment on the wire (tcpdump), same sequence numbers"
                    + " and lengths; untracked " + h.agent().stats().kernelStat(KernelStat.TX_UNTRACKED));
        } finally {
            Files.deleteIfExists(capture);
        }
    }
}
