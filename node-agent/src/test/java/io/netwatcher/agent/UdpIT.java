package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Layer;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Transport;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.names.DropReasons;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Nstat;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * UDP datagrams between two test hosts, each side a "pod" (a cgroup of its own running the sender or
 * the receiver), IPv4 and IPv6, with datagrams of many sizes and one IP-fragmented. Checked against
 * what the test sent and received and against the kernel's own counters (nstat UdpInDatagrams,
 * UdpOutDatagrams): the per-cgroup datagram and byte counters, the UDP layer histograms, the udp
 * packet events and the order of their boundaries; a datagram to a closed port is a NO_SOCKET drop
 * of protocol UDP, a datagram that finds a full receive buffer a SOCKET_RCVBUFF drop of the
 * receiving pod (nstat UdpRcvbufErrors); --no-udp turns every UDP aggregate and event off.
 */
class UdpIT {
    private static final int N = 200;
    /**
     * Datagrams at least timed through every layer, of N picked (the sender's bursts of 20 queue
     * datagrams behind unread ones: those have no sk_data_ready on v6.11+ and are timed from their
     * transport entry). Quiet runs time 175-199 of 200; with both cores busy (two spinning loops)
     * 158 reached the socket layer: a pick is lost when the RX pick table, shared with TCP, reuses
     * its slot. Half is far from that and from a broken path (none).
     */
    private static final int MIN_TIMED = N / 2;
    private static final int PORT = 24711;
    private static final int CLOSED_PORT = 24712;
    private static final String RECEIVER = """
            import socket, sys
            fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: no datagram dropped for room
            s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', int(sys.argv[2])))
            print('ready', flush=True)
            s.settimeout(10)
            n, got, total = int(sys.argv[3]), 0, 0
            while got < n:
                got, total = got + 1, total + len(s.recv(65535))
            print('got', got, total, flush=True)
            """;
    private static final String SENDER = """
            import socket, sys, time
            fam = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            sizes = [int(x) for x in sys.argv[4].split(',')]
            for i, n in enumerate(sizes):
                s.sendto(b'u' * n, (sys.argv[2], int(sys.argv[3])))
                if i % 20 == 19:
                    time.sleep(0.002)
            print('sent', len(sizes), sum(sizes), flush=True)
            """;

    /** Binds with a small receive buffer and never reads (until killed). */
    private static final String HOLDER = """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.bind(('0.0.0.0', int(sys.argv[1])))
            print('ready', flush=True)
            time.sleep(60)
            """;

    private static Path holderPy;
    private static Path receiverPy;
    private static Path senderPy;
    private static DropReasons reasons;

    @BeforeAll
    static void preconditions() throws IOException {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("python3"), "python3");
        reasons = DropReasons.fromBtf(Btf.vmlinux());
        receiverPy = Files.createTempFile("nw-udp-recv", ".py");
        senderPy = Files.createTempFile("nw-udp-send", ".py");
        holderPy = Files.createTempFile("nw-udp-hold", ".py");
        Files.writeString(holderPy, HOLDER);
        Files.writeString(receiverPy, RECEIVER);
        Files.writeString(senderPy, SENDER);
    }

    @AfterAll
    static void removeScripts() throws IOException {
        if (receiverPy != null) {
            Files.deleteIfExists(receiverPy);
        }
        if (senderPy != null) {
            Files.deleteIfExists(senderPy);
        }
        if (holderPy != null) {
            Files.deleteIfExists(holderPy);
        }
    }

    /** Payload sizes: N datagrams from 1 byte to 1400, the last one 3000 bytes (two IP fragments). */
    private static List<Integer> sizes() {
        List<Integer> s = new ArrayList<>();
        for (int i = 0; i < N - 1; i++) {
            s.add(1 + (i * 37) % 1400);
        }
        s.add(3000);
        return s;
    }

    private record Pod(Path cgroup, long id) {
    }

    private static Pod pod(Cgroups cg, String tag) throws IOException {
        Path group = cg.create("netwatcher-it/udp-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8));
        return new Pod(group, Cgroups.id(group));
    }

    private static long udp(AgentHarness h, long cgroupId, CounterKind kind, Direction dir, int ip) {
        long sum = 0;
        for (Map.Entry<Counter, Long> e : h.agent().maps().counters().read().entrySet()) {
            Counter k = e.getKey();
            if (k.cgroupId() == cgroupId && k.kind() == kind && k.udpDirection() == dir && k.udpIpVersion() == ip) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    private static LayerHistogram layer(AgentHarness h, long cgroupId, Direction dir, Layer layer) {
        return h.agent().maps().histograms().read(Transport.UDP).stream()
                .filter(x -> x.cgroupId() == cgroupId && x.direction() == dir && x.layer() == layer).findFirst()
                .orElse(null);
    }

    private static long layerCount(AgentHarness h, long cgroupId, Direction dir, Layer layer) {
        LayerHistogram x = layer(h, cgroupId, dir, layer);
        return x == null ? 0 : x.count();
    }

    /** Sends the datagrams from pod a to pod b; returns the receiver's "got count bytes". */
    private static String exchange(TestNet net, Pod a, Pod b, boolean v6, List<Integer> sizes) throws Exception {
        String fam = v6 ? "6" : "4";
        Process rcv = Cgroups.startIn(b.cgroup(), net.b().name(), "python3", receiverPy.toString(), fam, "" + PORT,
                "" + sizes.size());
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(rcv.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertEquals("ready", ready, "the receiver is listening");
            StringJoiner list = new StringJoiner(",");
            sizes.forEach(s -> list.add(Integer.toString(s)));
            Process snd = Cgroups.startIn(a.cgroup(), net.a().name(), "python3", senderPy.toString(), fam,
                    v6 ? net.b().ipv6() : net.b().ipv4(), "" + PORT, list.toString());
            String sent = new String(snd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(snd.waitFor(30, TimeUnit.SECONDS), "the sender finished");
            long bytes = sizes.stream().mapToLong(Integer::longValue).sum();
            assertEquals("sent " + sizes.size() + " " + bytes, sent, "the sender's own account");
            String got = out.readLine();
            assertTrue(rcv.waitFor(30, TimeUnit.SECONDS), "the receiver finished");
            return got;
        } finally {
            rcv.destroyForcibly();
            rcv.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void datagramsAndBytesPerPodEqualWhatWasSentAndReceivedWithTheirLayersAndEvents() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            for (boolean v6 : new boolean[] {false, true}) {
                int ip = v6 ? 6 : 4;
                String what = "IPv" + ip;
                String mib = v6 ? "Udp6" : "Udp";
                Pod a = pod(cg, "snd" + ip);
                Pod b = pod(cg, "rcv" + ip);
                List<Integer> sizes = sizes();
                long bytes = sizes.stream().mapToLong(Integer::longValue).sum();
                Nstat a0 = Nstat.of(net.a());
                Nstat b0 = Nstat.of(net.b());

                String got = exchange(net, a, b, v6, sizes);

                assertEquals("got " + N + " " + bytes, got, what + ": the receiver read every datagram");
                assertEquals(N, Nstat.of(net.b()).since(b0, mib + "InDatagrams"), what + ": the kernel's count received");
                assertEquals(N, Nstat.of(net.a()).since(a0, mib + "OutDatagrams"), what + ": the kernel's count sent");
                awaitTrue(() -> udp(h, b.id(), CounterKind.UDP_DATAGRAMS, Direction.RX, ip) >= N, 5,
                        () -> what + ": received datagrams " + h.agent().maps().counters().read());
                assertEquals(N, udp(h, b.id(), CounterKind.UDP_DATAGRAMS, Direction.RX, ip), what + ": received");
                assertEquals(bytes, udp(h, b.id(), CounterKind.UDP_BYTES, Direction.RX, ip), what + ": bytes received");
                assertEquals(N, udp(h, a.id(), CounterKind.UDP_DATAGRAMS, Direction.TX, ip), what + ": sent");
                assertEquals(bytes, udp(h, a.id(), CounterKind.UDP_BYTES, Direction.TX, ip), what + ": bytes sent");
                assertEquals(0, udp(h, a.id(), CounterKind.UDP_DATAGRAMS, Direction.RX, ip), what + ": the sender read none");
                assertEquals(0, udp(h, b.id(), CounterKind.UDP_DATAGRAMS, Direction.TX, ip), what + ": the receiver sent none");
                assertEquals(0, udp(h, b.id(), CounterKind.UDP_DATAGRAMS, Direction.RX, v6 ? 4 : 6), what + ": its IP version");

                // Every datagram is picked (time 1 in 1) but the fragmented one (not timed: reassembled
                // in another skb); a few lose their pick on the way (the RX pick table is hashed by skb,
                // shared with TCP); none is timed twice.
                StringBuilder timed = new StringBuilder();
                for (Layer l : Layer.RX) {
                    timed.append(" rx.").append(l.label(Transport.UDP)).append('=')
                            .append(layerCount(h, b.id(), Direction.RX, l));
                }
                for (Layer l : List.of(Layer.TX_QDISC, Layer.TX_DRIVER)) {
                    timed.append(" tx.").append(l.label(Transport.UDP)).append('=')
                            .append(layerCount(h, a.id(), Direction.TX, l));
                }
                System.out.println(what + ": timed" + timed);
                for (Layer l : Layer.RX) {
                    long n = layerCount(h, b.id(), Direction.RX, l);
                    assertTrue(n >= MIN_TIMED && n <= N, what + ": RX layers timed" + timed);
                }
                for (Layer l : List.of(Layer.TX_QDISC, Layer.TX_DRIVER)) {
                    long n = layerCount(h, a.id(), Direction.TX, l);
                    assertTrue(n >= MIN_TIMED && n <= N, what + ": TX layers timed" + timed);
                }
                assertEquals(0, layerCount(h, a.id(), Direction.TX, Layer.TX_TCP_IP),
                        what + ": no send boundary for UDP on tracepoints");
                assertEquals(0, h.agent().maps().histograms().read().stream().filter(x -> x.cgroupId() == b.id()
                        || x.cgroupId() == a.id()).count(), what + ": no datagram in the TCP histograms");
                LayerHistogram total = layer(h, b.id(), Direction.RX, Layer.TOTAL);
                assertTrue(total != null && total.quantileNs(0.5) < 100_000_000L, what + ": RX total " + total);

                awaitTrue(() -> events(h, b.id(), Direction.RX).size() >= MIN_TIMED
                        && events(h, a.id(), Direction.TX).size() >= MIN_TIMED, 5,
                        () -> what + ": udp packet events " + events(h, b.id(), Direction.RX).size() + " received, "
                                + events(h, a.id(), Direction.TX).size() + " sent");
                String bAddr = v6 ? net.b().ipv6() : net.b().ipv4();
                String aAddr = v6 ? net.a().ipv6() : net.a().ipv4();
                List<PacketEvent> rx = events(h, b.id(), Direction.RX);
                assertTrue(rx.size() <= N, what + ": one event per datagram at most");
                for (PacketEvent e : rx) {
                    assertEquals(bAddr, e.tuple().srcAddress(), what + ": local first " + e);
                    assertEquals(PORT, e.tuple().sport());
                    assertEquals(aAddr, e.tuple().dstAddress(), what + ": the sender " + e);
                    assertEquals("python3", e.comm(), "the reader");
                    assertTrue(sizes.contains((int) e.len()) && e.len() != 3000, what + ": a size sent, not fragmented " + e);
                    long[] s = e.stamps();
                    for (int i = 0; i < s.length; i++) {
                        assertTrue(s[i] != 0 && (i == 0 || s[i] >= s[i - 1]), what + ": RX boundaries in order " + e);
                    }
                    assertTrue(e.totalNs() < 1_000_000_000L, what + ": " + e);
                }
                List<PacketEvent> tx = events(h, a.id(), Direction.TX);
                assertTrue(tx.size() <= N, what + ": one event per datagram sent at most");
                long txBytes = 0;
                for (PacketEvent e : tx) {
                    assertEquals(aAddr, e.tuple().srcAddress(), what + ": local first " + e);
                    assertEquals(bAddr, e.tuple().dstAddress());
                    assertEquals(PORT, e.tuple().dport());
                    assertEquals("python3", e.comm(), "the sender");
                    long[] s = e.stamps();
                    assertTrue(s[1] != 0 && s[2] >= s[1] && s[3] >= s[2], what + ": TX boundaries in order " + e);
                    txBytes += e.len();
                }
                if (tx.size() == N) {
                    assertEquals(bytes, txBytes, what + ": the sent events' lengths");
                }
            }
        }
    }

    private static List<PacketEvent> events(AgentHarness h, long cgroupId, Direction dir) {
        return h.events(PacketEvent.class, e -> e.transport() == Transport.UDP && e.cgroupId() == cgroupId
                && e.direction() == dir);
    }

    @Test
    void aDatagramToAClosedPortIsANoSocketDropOfProtocolUdp() throws Exception {
        int noSocket = reasons.value("NO_SOCKET").orElseThrow(() -> new AssertionError("no NO_SOCKET reason"));
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Pod a = pod(cg, "closed");
            for (boolean v6 : new boolean[] {false, true}) {
                String dst = v6 ? net.b().ipv6() : net.b().ipv4();
                Nstat b0 = Nstat.of(net.b());
                Process snd = Cgroups.startIn(a.cgroup(), net.a().name(), "python3", senderPy.toString(), v6 ? "6" : "4",
                        dst, "" + CLOSED_PORT, "10,20,30");
                String sent = new String(snd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertTrue(snd.waitFor(30, TimeUnit.SECONDS), "the sender finished");
                assertEquals("sent 3 60", sent);
                awaitTrue(() -> drops(h, dst).size() >= 3, 5, () -> "drop events " + h.events(ErrorEvent.class));
                List<ErrorEvent> drops = drops(h, dst);
                assertEquals(3, drops.size(), "one drop per datagram " + drops);
                for (ErrorEvent d : drops) {
                    assertEquals(noSocket, d.detail(), "NO_SOCKET: " + d);
                    assertEquals(0, d.cgroupId(), "no socket, no pod");
                }
                assertEquals(List.of(10L, 20L, 30L), drops.stream().map(ErrorEvent::len).sorted().toList(),
                        "the datagrams' payloads");
                assertEquals(3, Nstat.of(net.b()).since(b0, v6 ? "Udp6NoPorts" : "UdpNoPorts"), "the kernel's count");
                assertEquals(3, udp(h, a.id(), CounterKind.UDP_DATAGRAMS, Direction.TX, v6 ? 6 : 4),
                        "sent, whatever became of them");
            }
            long counted = h.agent().maps().counters().read().entrySet().stream()
                    .filter(e -> e.getKey().kind() == CounterKind.DROP && e.getKey().detail() == noSocket)
                    .mapToLong(Map.Entry::getValue).sum();
            assertTrue(counted >= 6, "counted with their reason: " + counted);
        }
    }

    /**
     * A token bucket on the sender's loopback passes a burst, queues a little and drops the rest at
     * enqueue. Every datagram is picked at the device layer (1 in 1); a dropped one must leave this
     * CPU's device table at its kfree_skb (counted stale then), not linger for a later skb at the
     * same address to take its stamps. Other traffic on the machine only adds to the statistic.
     */
    @Test
    void aDatagramTheQdiscDropsLeavesTheDeviceTableAtOnce() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Pod a = pod(cg, "qdrop");
            net.a().exec("tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "8kbit", "burst", "1600",
                    "limit", "1600");
            long before = h.agent().maps().stats().read().get(KernelStat.TX_STALE);
            StringJoiner list = new StringJoiner(",");
            for (int i = 0; i < 60; i++) {
                list.add("100");
            }
            Process snd = Cgroups.startIn(a.cgroup(), net.a().name(), "python3", senderPy.toString(), "4",
                    "127.0.0.1", "" + CLOSED_PORT, list.toString());
            String sent = new String(snd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(snd.waitFor(30, TimeUnit.SECONDS), "the sender finished");
            assertEquals("sent 60 6000", sent, "the sender's own account");
            String tc = net.a().exec("tc", "-s", "qdisc", "show", "dev", "lo");
            Matcher m = Pattern.compile("dropped (\\d+)").matcher(tc);
            assertTrue(m.find(), "tc shows the qdisc's drops");
            long dropped = Long.parseLong(m.group(1));
            assertTrue(dropped >= 20, "the token bucket dropped most of the burst: " + dropped);
            long stale = h.agent().maps().stats().read().get(KernelStat.TX_STALE) - before;
            assertTrue(stale >= dropped, "each datagram the qdisc dropped left the device table at its drop: "
                    + stale + " slots freed, " + dropped + " dropped (tc -s qdisc)");
            assertEquals(60, udp(h, a.id(), CounterKind.UDP_DATAGRAMS, Direction.TX, 4),
                    "counted at the device layer, whatever became of them");
        }
    }

    @Test
    void datagramsAFullReceiveBufferDropsAreTheReceivingPodsWithTheirReason() throws Exception {
        int rcvbuf = reasons.value("SOCKET_RCVBUFF").orElseThrow(() -> new AssertionError("no SOCKET_RCVBUFF reason"));
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Pod a = pod(cg, "full-snd");
            Pod b = pod(cg, "full-rcv");
            Nstat b0 = Nstat.of(net.b());
            Process hold = Cgroups.startIn(b.cgroup(), net.b().name(), "python3", holderPy.toString(), "" + PORT);
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(hold.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("ready", out.readLine(), "the holder is bound");
                StringJoiner list = new StringJoiner(",");
                for (int i = 0; i < 50; i++) {
                    list.add("1000");
                }
                Process snd = Cgroups.startIn(a.cgroup(), net.a().name(), "python3", senderPy.toString(), "4",
                        net.b().ipv4(), "" + PORT, list.toString());
                assertEquals("sent 50 50000", new String(snd.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .strip());
                assertTrue(snd.waitFor(30, TimeUnit.SECONDS), "the sender finished");
                long dropped = Nstat.of(net.b()).since(b0, "UdpRcvbufErrors");
                assertTrue(dropped > 0 && dropped < 50, "the kernel's count of datagrams with no room: " + dropped);
                awaitTrue(() -> counted(h, b.id(), rcvbuf) >= dropped, 5,
                        () -> "drops counted for the receiver " + h.agent().maps().counters().read());
                assertEquals(dropped, counted(h, b.id(), rcvbuf), "counted for the receiving pod with their reason");
                awaitTrue(() -> rcvbufDrops(h, rcvbuf, b.id()).size() >= dropped, 5,
                        () -> "drop events " + h.events(ErrorEvent.class));
                List<ErrorEvent> events = rcvbufDrops(h, rcvbuf, b.id());
                assertEquals(dropped, events.size(), "one drop event each");
                events.forEach(e -> assertEquals(17, e.extra(), "protocol UDP: " + e));
                assertEquals(0, udp(h, b.id(), CounterKind.UDP_DATAGRAMS, Direction.RX, 4), "none was read");
                assertEquals(50, udp(h, a.id(), CounterKind.UDP_DATAGRAMS, Direction.TX, 4), "all were sent");
            } finally {
                hold.destroyForcibly();
                hold.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static List<ErrorEvent> rcvbufDrops(AgentHarness h, int reason, long cgroupId) {
        return h.events(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && e.detail() == reason
                && e.cgroupId() == cgroupId);
    }

    private static long counted(AgentHarness h, long cgroupId, int reason) {
        return h.agent().maps().counters().read().entrySet().stream()
                .filter(e -> e.getKey().cgroupId() == cgroupId && e.getKey().kind() == CounterKind.DROP
                        && e.getKey().detail() == reason)
                .mapToLong(Map.Entry::getValue).sum();
    }

    private static List<ErrorEvent> drops(AgentHarness h, String dst) {
        return h.events(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP && e.extra() == 17
                && e.tuple().dstAddress().equals(dst) && e.tuple().dport() == CLOSED_PORT);
    }

    @Test
    void noUdpLeavesEveryUdpAggregateAndEventOut() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder().udp(false).build())) {
            Pod a = pod(cg, "off-snd");
            Pod b = pod(cg, "off-rcv");
            List<Integer> sizes = List.of(100, 200, 300);
            assertEquals("got 3 600", exchange(net, a, b, false, sizes));
            Thread.sleep(500);
            assertEquals(0, h.agent().maps().counters().read().keySet().stream()
                    .filter(k -> k.kind() == CounterKind.UDP_DATAGRAMS || k.kind() == CounterKind.UDP_BYTES).count(),
                    "no UDP counter");
            assertTrue(h.agent().maps().histograms().read(Transport.UDP).isEmpty(), "no UDP histogram");
            assertTrue(h.events(PacketEvent.class, e -> e.transport() == Transport.UDP).isEmpty(), "no udp event");
        }
    }

    private static void awaitTrue(BooleanSupplier cond, int seconds, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what.get());
            }
            Thread.sleep(50);
        }
    }
}
