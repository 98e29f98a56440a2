package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.btf.Btf;
import io.netwatcher.event.NetfilterEvent;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.NetfilterHook;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.netns.Netns;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TestNet;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Netfilter time per hook against rules the test itself installs: UDP datagrams from test host A to
 * test host B (namespaces created after the agent started, so it must find and link them), first
 * (IPv4, then IPv6) with an empty nftables input chain in B, then with {@value #RULES} rules in it that never match.
 * B's input hook must take clearly longer with the rules and its prerouting hook must not; the
 * datagrams counted per hook are the ones the test sent and B's socket received, and the netfilter
 * events of B's input hook add up to its histogram; the agent's
 * netfilter links (the process's bpf_link fds, as the kernel lists them) appear with the namespaces
 * and go with them.
 */
class NetfilterTimeIT {
    private static final int RULES = 500;
    private static final int N = 2000;
    private static final int PORT = 24811;
    /** Packets other than the datagrams that may pass B's hooks meanwhile (IPv6 neighbour discovery). */
    private static final int EXTRA = 20;
    /** Links per namespace: two programs x two families x five hooks. */
    private static final int LINKS_PER_NETNS = 20;

    @BeforeAll
    static void preconditions() throws IOException {
        Kernel.requireRootKernel();
        Kernel.require(Btf.vmlinux().has("bpf_nf_ctx", Btf.KIND_STRUCT), "BPF netfilter links (Linux 6.4+)");
    }

    @Test
    void theBpfConstantsAreTheKernels() throws IOException {
        Btf vmlinux = Btf.vmlinux();
        assertEquals(BpfProgram.BPF_PROG_TYPE_NETFILTER,
                vmlinux.enumValues("bpf_prog_type").get("BPF_PROG_TYPE_NETFILTER").intValue());
        assertEquals(BpfProgram.BPF_NETFILTER, vmlinux.enumValues("bpf_attach_type").get("BPF_NETFILTER").intValue());
        assertEquals(NetfilterHook.values().length, vmlinux.enumValues("nf_inet_hooks").get("NF_INET_NUMHOOKS").intValue());
        for (NetfilterHook h : NetfilterHook.values()) {
            assertEquals(h.value(), vmlinux.enumValues("nf_inet_hooks").get("NF_INET_" + h.name()).intValue(), h.name());
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void rulesInTheInputChainLengthenTheInputHookOnly(boolean v6) throws Exception {
        AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder().netfilterTimes(true).build());
        try {
            Agent agent = h.agent();
            int before = bpfLinkFds();
            TestNet net = TestNet.create();
            long nsA;
            long nsB;
            try {
                nsA = Netns.inode(Path.of("/run/netns/" + net.a().name()));
                nsB = Netns.inode(Path.of("/run/netns/" + net.b().name()));
                assertTrue(agent.syncNetfilterNamespaces().containsAll(List.of(nsA, nsB)),
                        "the namespaces made after start are linked");
                assertEquals(before + 2 * LINKS_PER_NETNS, bpfLinkFds(), "20 netfilter links per new namespace");

                net.b().nftTable(); // input and output chains, empty
                Map<NetfilterHook, NetfilterHistogram> empty = measure(h, net, nsB, v6);
                StringBuilder rules = new StringBuilder();
                for (int i = 0; i < RULES; i++) { // 198.19.x.y, 2001:db8:ffff::x: never A's address
                    rules.append(v6 ? "add rule inet nwt input ip6 saddr 2001:db8:ffff::" + Integer.toHexString(i + 1)
                            : "add rule inet nwt input ip saddr 198.19." + i / 250 + "." + (i % 250 + 1))
                            .append(" drop\n");
                }
                Path file = Files.createTempFile("nw-nft", ".nft");
                try {
                    Files.writeString(file, rules);
                    net.b().exec("nft", "-f", file.toString());
                } finally {
                    Files.deleteIfExists(file);
                }
                assertEquals(RULES, net.b().exec("nft", "list", "chain", "inet", "nwt", "input").lines()
                        .filter(l -> l.contains(v6 ? "ip6 saddr 2001:db8:ffff::" : "ip saddr 198.19.")).count(),
                        "rules installed");
                Map<NetfilterHook, NetfilterHistogram> ruled = measure(h, net, nsB, v6);

                String report = report(empty, ruled);
                System.out.println("netfilter hook times in B, " + (v6 ? "IPv6" : "IPv4") + ", p50/p90 ns (empty chain -> " + RULES + " rules): "
                        + report + "; unmatched " + agent.maps().stats().read().get(KernelStat.NF_UNMATCHED));
                long inEmpty = empty.get(NetfilterHook.LOCAL_IN).quantileNs(0.5);
                long inRuled = ruled.get(NetfilterHook.LOCAL_IN).quantileNs(0.5);
                long preEmpty = empty.get(NetfilterHook.PRE_ROUTING).quantileNs(0.5);
                long preRuled = ruled.get(NetfilterHook.PRE_ROUTING).quantileNs(0.5);
                assertTrue(inRuled >= 4 * inEmpty && inRuled - inEmpty >= 1000,
                        "input hook median grows with " + RULES + " rules: " + report);
                assertTrue(preRuled < 2 * preEmpty + 500, "prerouting median does not: " + report);
                assertTrue(inRuled > 4 * preRuled, "the rules show in input, not prerouting: " + report);
                eventsAddUpToTheHistogram(h, nsB, v6);
            } finally {
                net.close();
            }
            Sh.ok("ip", "netns", "list"); // the namespaces are gone from /run/netns
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((agent.syncNetfilterNamespaces().contains(nsA) || agent.syncNetfilterNamespaces().contains(nsB))
                    && System.nanoTime() < deadline) {
                Thread.sleep(100); // a namespace's last process (the test's own threads in it) exits
            }
            assertFalse(agent.syncNetfilterNamespaces().contains(nsB), "B's links closed once it is gone");
            assertEquals(before, bpfLinkFds(), "and their link fds with them");
        } finally {
            h.close();
        }
    }

    /** Sends N datagrams from A to B and returns what B's hooks of that family counted meanwhile (cgroup 0: no socket). */
    private static Map<NetfilterHook, NetfilterHistogram> measure(AgentHarness h, TestNet net, long nsB, boolean v6)
            throws Exception {
        Map<NetfilterHook, NetfilterHistogram> start = read(h, nsB, v6);
        InetSocketAddress to = new InetSocketAddress(net.b().address(v6), PORT);
        DatagramChannel rx = net.b().submit(() -> {
            DatagramChannel c = DatagramChannel.open(v6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            c.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            c.bind(to);
            return c;
        }).get(5, TimeUnit.SECONDS);
        int received = 0;
        try {
            Future<Integer> got = net.b().submit(() -> {
                ByteBuffer buf = ByteBuffer.allocate(2048);
                int n = 0;
                rx.configureBlocking(true);
                while (n < N) {
                    buf.clear();
                    rx.receive(buf);
                    n++;
                }
                return n;
            });
            net.a().submit(() -> {
                try (DatagramChannel tx = DatagramChannel.open(v6 ? StandardProtocolFamily.INET6
                        : StandardProtocolFamily.INET)) {
                    ByteBuffer b = ByteBuffer.allocate(100);
                    for (int i = 0; i < N; i++) {
                        b.clear();
                        tx.send(b, to);
                        if (i % 50 == 49) {
                            Thread.sleep(1);
                        }
                    }
                }
                return null;
            }).get(30, TimeUnit.SECONDS);
            received = got.get(10, TimeUnit.SECONDS);
        } finally {
            rx.close();
        }
        assertEquals(N, received, "B's socket received every datagram");
        Map<NetfilterHook, NetfilterHistogram> end = read(h, nsB, v6);
        Map<NetfilterHook, NetfilterHistogram> d = new EnumMap<>(NetfilterHook.class);
        for (NetfilterHook hook : List.of(NetfilterHook.PRE_ROUTING, NetfilterHook.LOCAL_IN)) {
            NetfilterHistogram e = end.get(hook);
            assertTrue(e != null, "B's " + hook + " hook was timed");
            NetfilterHistogram s = start.get(hook);
            d.put(hook, s == null ? e : e.minus(s));
            long counted = d.get(hook).count(); // IPv6 neighbour discovery passes the hooks too: a few more
            assertTrue(counted >= N && counted <= N + EXTRA, "B's " + hook + " hook timed every datagram sent ("
                    + N + "), and at most " + EXTRA + " other packets: " + counted);
        }
        return d;
    }

    /**
     * The netfilter events of B's input hook, one per interval with packets, add up to the kernel
     * histogram as read by the same poll: 2 x N datagrams and a few neighbour discovery packets.
     */
    private static void eventsAddUpToTheHistogram(AgentHarness h, long nsB, boolean v6) {
        h.agent().pollNow();
        long kernel = read(h, nsB, v6).get(NetfilterHook.LOCAL_IN).count();
        List<NetfilterEvent> events = h.events(NetfilterEvent.class, e -> e.histogram().netns() == nsB
                && e.histogram().ipv6() == v6 && e.histogram().hook() == NetfilterHook.LOCAL_IN && e.cgroupId() == 0);
        long summed = events.stream().mapToLong(e -> e.histogram().count()).sum();
        assertTrue(summed >= 2L * N && summed <= kernel && summed >= kernel - EXTRA, "netfilter events of B's input"
                + " hook (" + events.size() + ") sum to " + summed + ", the histogram holds " + kernel);
        assertTrue(events.stream().allMatch(e -> e.histogram().count() > 0 && e.intervalNs() > 0),
                "only intervals with packets");
    }

    private static Map<NetfilterHook, NetfilterHistogram> read(AgentHarness h, long netns, boolean v6) {
        Map<NetfilterHook, NetfilterHistogram> out = new EnumMap<>(NetfilterHook.class);
        for (NetfilterHistogram x : h.agent().maps().netfilterHistograms().read()) {
            if (x.netns() == netns && x.ipv6() == v6 && x.cgroupId() == 0) {
                out.put(x.hook(), x);
            }
        }
        return out;
    }

    private static String report(Map<NetfilterHook, NetfilterHistogram> a, Map<NetfilterHook, NetfilterHistogram> b) {
        StringJoiner j = new StringJoiner(", ");
        for (NetfilterHook hook : a.keySet()) {
            j.add(hook.label() + " " + a.get(hook).quantileNs(0.5) + "/" + a.get(hook).quantileNs(0.9) + " -> "
                    + b.get(hook).quantileNs(0.5) + "/" + b.get(hook).quantileNs(0.9));
        }
        return j.toString();
    }

    /** The process's open BPF link fds (each netfilter link is one). */
    private static int bpfLinkFds() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("anon_inode:bpf_link")) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed while listed
                }
            }
        }
        return n;
    }
}
