package io.netwatcher.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.Direction;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The probes load into the running kernel, every boundary is backed, and closing removes them all. */
class ProbeLoadIT {
    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    /** Ids of programs named like ours, as bpftool lists them (they exist while loaded or attached). */
    private static Set<String> ourPrograms() {
        return Sh.run("bpftool", "prog", "show").out().lines()
                .filter(l -> l.matches("\\d+: .* name (tp|cg|it|fe|fx|kp|so)_[a-z0-9_]+ .*"))
                .map(l -> l.substring(0, l.indexOf(':')))
                .collect(Collectors.toSet());
    }

    /** The cgroup programs attached to the cgroup2 root. */
    private static String cgroupAttachments(ProbeSet p) {
        return Sh.run("bpftool", "cgroup", "show", p.hooks().cgroup2().orElseThrow().toString()).out();
    }

    @Test
    void everyBoundaryIsBackedAndCloseDetachesEverything() throws Exception {
        Kernel.require(Sh.which("bpftool"), "bpftool on PATH");
        Set<String> before = ourPrograms();
        Set<String> mine = new HashSet<>();
        try (ProbeSet p = ProbeSet.open(ProbeConfig.defaults())) {
            List<Attachment> report = p.attachments();
            assertEquals(Boundary.values().length, report.size(), "one report line per boundary");
            List<Attachment> missing = report.stream().filter(a -> !a.ok()).toList();
            assertTrue(missing.isEmpty(), "boundaries not backed on this kernel: " + missing);
            mine.addAll(ourPrograms());
            mine.removeAll(before);
            assertTrue(mine.size() >= 20, "our programs visible to bpftool: " + mine);
            assertTrue(cgroupAttachments(p).contains("cg_ingress"), "cgroup_skb attached to the cgroup2 root");
            assertTrue(cgroupAttachments(p).contains("so_established"), "sockops attached to the cgroup2 root");
            assertTrue(cgroupAttachments(p).contains("cg_dns_egress"),
                    "the DNS egress program attached to the cgroup2 root: " + cgroupAttachments(p));
            assertEquals(List.of("cg_ingress"), programs(p, Boundary.DNS_INGRESS), "DNS responses ride in cg_ingress");
            assertFalse(cgroupAttachments(p).contains("cg_dns_ingress"), "no DNS ingress program of its own");
            assertEquals(List.of("tp_netif_receive_skb"), programs(p, Boundary.ICMP_RX), "ICMP rides in rx.stack");
            assertEquals(List.of("tp_net_dev_queue"), programs(p, Boundary.ICMP_TX), "ICMP rides in tx.device");
            Map<String, ProbeSet.RunStats> stats = p.runStats();
            assertTrue(stats.containsKey("tp_netif_receive_skb"), "run stats readable from fdinfo: " + stats.keySet());
        }
        // The kernel frees programs after an RCU grace period: give it a moment.
        Set<String> left = new HashSet<>(mine);
        for (int i = 0; i < 50 && !left.isEmpty(); i++) {
            Thread.sleep(100);
            left.retainAll(ourPrograms());
        }
        assertTrue(left.isEmpty(), "programs left behind after close: " + left);
    }

    @Test
    void aPreferredHookKindIsUsedOnlyWhereTheKernelAllowsIt() throws Exception {
        ProbeConfig fentry = ProbeConfig.builder().maxEventsPerSec(0).maxErrorsPerSec(0).snapshotNs(0)
                .ringBufferBytes(1 << 20).maxConnections(1024).preferHook(HookKind.FENTRY).build();
        try (ProbeSet p = ProbeSet.open(fentry)) {
            Attachment transport = p.attachments().stream()
                    .filter(a -> a.boundary() == Boundary.RX_TRANSPORT).findFirst().orElseThrow();
            assertTrue(transport.attached(), transport.toString());
            if (p.hooks().fentrySupported()) {
                assertEquals(HookKind.FENTRY, transport.kind());
            } else {
                // Here (no trampolines) the preference falls back, and the reason is reported.
                assertEquals(HookKind.CGROUP_SKB, transport.kind());
                assertFalse(transport.detail().isEmpty(), "why fentry was not used: " + transport);
            }
        }
    }

    /**
     * A kernel whose verifier refuses the shared read program (before v6.8: its global function's
     * trusted argument) gets the twins: TCP reads on tp_tcp_recv_length, UDP reads on
     * tp_udp_recv_length, and the UDP datagrams this test reads on loopback are counted.
     */
    @Test
    void whereTheSharedReadProgramIsRefusedItsTwinsReadTcpAndUdp() throws Exception {
        ProbeConfig config = ProbeConfig.builder().maxEventsPerSec(0).maxErrorsPerSec(0).snapshotNs(0)
                .ringBufferBytes(1 << 20).maxConnections(1024).build();
        try (ProbeSet p = ProbeSet.open(config, Map.of("tp_sock_recv_length", "refused by the test"))) {
            assertEquals(List.of("tp_tcp_recv_length"), programs(p, Boundary.RX_READ));
            assertEquals(List.of("tp_udp_recv_length"), programs(p, Boundary.UDP_READ));
            long before = udpDatagramsRead(p);
            try (DatagramSocket rx = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                 DatagramSocket tx = new DatagramSocket()) {
                rx.setSoTimeout(5000);
                for (int i = 0; i < 20; i++) {
                    tx.send(new DatagramPacket(new byte[10], 10, rx.getLocalSocketAddress()));
                    rx.receive(new DatagramPacket(new byte[100], 100));
                }
            }
            long read = udpDatagramsRead(p) - before;
            assertTrue(read >= 20, "the 20 datagrams read, counted by the UDP-only program: " + read);
        }
    }

    /** With the shared read program, one program backs both reads. */
    @Test
    void tcpAndUdpReadsShareOneProgram() throws Exception {
        try (ProbeSet p = ProbeSet.open(ProbeConfig.defaults())) {
            assertEquals(List.of("tp_sock_recv_length"), programs(p, Boundary.RX_READ));
            assertEquals(List.of("tp_sock_recv_length"), programs(p, Boundary.UDP_READ));
        }
    }

    private static List<String> programs(ProbeSet p, Boundary b) {
        return p.attachments().stream().filter(a -> a.boundary() == b).findFirst().orElseThrow().programs();
    }

    private static long udpDatagramsRead(ProbeSet p) {
        return p.maps().counters().read().entrySet().stream()
                .filter(e -> e.getKey().kind() == CounterKind.UDP_DATAGRAMS && e.getKey().udpDirection() == Direction.RX)
                .mapToLong(Map.Entry::getValue).sum();
    }
}
