package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.IcmpSide;
import io.netwatcher.identity.NetnsCgroups;
import io.netwatcher.kernel.IcmpCounter;
import io.netwatcher.kernel.IcmpKind;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TestNet;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pings between two test hosts (IPv4 and IPv6, each way), each host a "pod": a cgroup with a
 * long-lived process in the host's namespace, and ping run in that cgroup. Checked against ping's
 * own output: the echo events' sequence numbers and count, the kernel times against ping's rtt,
 * the per-cgroup (requester) and per-namespace (responder) counters, no drop event for a reply;
 * and an ICMP error (port unreachable) counted by type on both sides.
 */
class IcmpIT {
    private static final int N = 5;
    private static final Pattern REPLY = Pattern.compile("icmp_seq=(\\d+) ttl=\\d+ time=([0-9.]+) ms");

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("ping"), "ping (iputils)");
    }

    /** A test host as a pod: its namespace, its cgroup, a process keeping the namespace placed. */
    private record Pod(TestNet.Host host, Path cgroup, long cgroupId, long netns, Process sleeper) {
    }

    private static Pod pod(Cgroups cg, TestNet.Host host, String tag) throws Exception {
        Path group = cg.create("netwatcher-it/icmp-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8));
        Process sleeper = Cgroups.startIn(group, host.name(), "sleep", "120");
        long hostNs = netnsOf(ProcessHandle.current().pid());
        long[] ns = new long[1];
        awaitTrue(() -> {
            ns[0] = netnsOf(sleeper.pid());
            return ns[0] != 0 && ns[0] != hostNs;
        }, 10, () -> "the sleeper entered " + host.name());
        return new Pod(host, group, Cgroups.id(group), ns[0], sleeper);
    }

    /** The processes in a namespace and their cgroup v2 lines (for a failure's message). */
    private static String inNetns(long netns) {
        StringBuilder sb = new StringBuilder();
        ProcessHandle.allProcesses().filter(p -> netnsOf(p.pid()) == netns).forEach(p -> {
            try {
                sb.append(p.pid()).append(' ').append(Files.readAllLines(Path.of("/proc/" + p.pid() + "/cgroup")).stream()
                        .filter(l -> l.startsWith("0::")).toList()).append("; ");
            } catch (IOException e) {
                sb.append(p.pid()).append(' ').append(e).append("; ");
            }
        });
        return sb.toString();
    }

    private static long netnsOf(long pid) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
            return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
        } catch (IOException e) {
            return 0;
        }
    }

    /** Runs {@code ping -c N} in the pod; returns ping's replies: icmp_seq -> rtt in ns. */
    private static Map<Integer, Long> ping(Pod from, String to, boolean v6) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ping", v6 ? "-6" : "-4", "-n", "-c", "" + N, "-i", "0.2", "-W", "2",
                to));
        Process p = Cgroups.startIn(from.cgroup(), from.host().name(), cmd.toArray(String[]::new));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "ping finished");
        assertEquals(0, p.exitValue(), "ping succeeded: " + out);
        Map<Integer, Long> replies = new TreeMap<>();
        Matcher m = REPLY.matcher(out);
        while (m.find()) {
            replies.put(Integer.parseInt(m.group(1)), Math.round(Double.parseDouble(m.group(2)) * 1e6));
        }
        assertEquals(N, replies.size(), "ping's own replies: " + out);
        return replies;
    }

    private static long count(AgentHarness h, long cgroupId, long netns, IcmpKind kind, int ip, int type, int code) {
        return h.agent().maps().icmpCounters().read().entrySet().stream()
                .filter(e -> e.getKey().cgroupId() == cgroupId && e.getKey().netns() == netns
                        && e.getKey().kind() == kind && e.getKey().ipVersion() == ip && e.getKey().type() == type
                        && e.getKey().code() == code)
                .mapToLong(Map.Entry::getValue).sum();
    }

    private static long echo(AgentHarness h, long cgroupId, long netns, IcmpKind kind, int ip) {
        return count(h, cgroupId, netns, kind, ip, 0, 0);
    }

    private static List<IcmpEvent> echoEvents(AgentHarness h, IcmpSide side, String local, String remote) {
        return h.events(IcmpEvent.class, e -> e.side() == side && e.tuple().srcAddress().equals(local)
                && e.tuple().dstAddress().equals(remote));
    }

    @Test
    void pingsEachWayMatchPingsOwnRepliesCountersAndTimes() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Pod a = pod(cg, net.a(), "a");
            Pod b = pod(cg, net.b(), "b");
            try {
                NetnsCgroups placed = new NetnsCgroups(Path.of("/proc"), cg.root(), System::nanoTime);
                assertEquals(a.cgroupId(), placed.applyAsLong(a.netns()), () -> "host a's namespace is pod a's: "
                        + inNetns(a.netns()) + " sleeper " + a.sleeper().pid());
                assertEquals(b.cgroupId(), placed.applyAsLong(b.netns()), "host b's namespace is pod b's");
                assertEquals(0, placed.applyAsLong(netnsOf(ProcessHandle.current().pid())), "the host's namespace is no pod's");
                for (boolean v6 : new boolean[] {false, true}) {
                    exchange(h, b, a, v6);
                    exchange(h, a, b, v6);
                }
            } finally {
                a.sleeper().destroy();
                b.sleeper().destroy();
                a.sleeper().waitFor(10, TimeUnit.SECONDS);
                b.sleeper().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aPodPingingItselfOverLoopbackIsBothSidesInOneNamespace() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            Pod a = pod(cg, net.a(), "self");
            try {
                for (boolean v6 : new boolean[] {false, true}) {
                    exchange(h, a, a, v6);
                }
            } finally {
                a.sleeper().destroy();
                a.sleeper().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code from} pings {@code to} N times; everything the agent says is checked against ping. */
    private static void exchange(AgentHarness h, Pod from, Pod to, boolean v6) throws Exception {
        int ip = v6 ? 6 : 4;
        String src = v6 ? from.host().ipv6() : from.host().ipv4();
        String dst = v6 ? to.host().ipv6() : to.host().ipv4();
        String what = "IPv" + ip + " " + from.host().name() + " -> " + to.host().name();
        long sent0 = echo(h, from.cgroupId(), from.netns(), IcmpKind.ECHO_REQUEST_SENT, ip);
        long read0 = echo(h, from.cgroupId(), from.netns(), IcmpKind.ECHO_REPLY_RECEIVED, ip);
        long received0 = echo(h, 0, to.netns(), IcmpKind.ECHO_REQUEST_RECEIVED, ip);
        long replied0 = echo(h, 0, to.netns(), IcmpKind.ECHO_REPLY_SENT, ip);
        int requesterBefore = echoEvents(h, IcmpSide.REQUESTER, src, dst).size();
        int responderBefore = echoEvents(h, IcmpSide.RESPONDER, dst, src).size();

        Map<Integer, Long> replies = ping(from, dst, v6);

        awaitTrue(() -> echoEvents(h, IcmpSide.REQUESTER, src, dst).size() - requesterBefore >= N
                        && echoEvents(h, IcmpSide.RESPONDER, dst, src).size() - responderBefore >= N, 10,
                () -> what + ": events " + h.events(IcmpEvent.class));
        List<IcmpEvent> requester = echoEvents(h, IcmpSide.REQUESTER, src, dst);
        requester = requester.subList(requesterBefore, requester.size());
        List<IcmpEvent> responder = echoEvents(h, IcmpSide.RESPONDER, dst, src);
        responder = responder.subList(responderBefore, responder.size());
        assertEquals(replies.keySet(), seqs(requester), what + ": requester sequence numbers = ping's");
        assertEquals(replies.keySet(), seqs(responder), what + ": responder sequence numbers = ping's");
        assertEquals(N, requester.size(), what + ": one requester event per reply");
        assertEquals(N, responder.size(), what + ": one responder event per request");
        Set<Integer> ids = new HashSet<>();
        requester.forEach(e -> ids.add(e.id()));
        responder.forEach(e -> ids.add(e.id()));
        assertEquals(1, ids.size(), what + ": one echo identifier on both sides " + ids);
        for (IcmpEvent r : responder) {
            long rtt = replies.get(r.seq());
            assertTrue(r.latencyNs() > 0 && r.latencyNs() < rtt, what + " seq " + r.seq() + ": responder kernel time "
                    + r.latencyNs() + " ns in (0, ping's rtt " + rtt + " ns)");
            assertEquals(0, r.cgroupId(), "the kernel answered: no socket");
            assertEquals(to.netns(), r.netns(), "the responder's namespace");
            assertTrue(r.cpu() >= 0 && r.cpu() < Runtime.getRuntime().availableProcessors(), "a CPU: " + r.cpu());
            assertNotEquals("", r.taskComm(), "the task running when the request was received");
            IcmpEvent q = requester.stream().filter(x -> x.seq() == r.seq()).findFirst().orElseThrow();
            assertTrue(q.latencyNs() > r.latencyNs(), what + " seq " + r.seq() + ": the requester's time "
                    + q.latencyNs() + " includes the responder's " + r.latencyNs());
            assertTrue(q.latencyNs() < 1_000_000_000L, "requester time " + q.latencyNs());
            assertEquals(from.cgroupId(), q.cgroupId(), "the requester is ping's socket");
            assertEquals("ping", q.comm(), "ping read the reply");
            assertTrue(q.pid() > 0, "ping's pid");
        }
        // The per-pod aggregates: requests and replies of ping's cgroup, of the responder's namespace.
        awaitTrue(() -> echo(h, from.cgroupId(), from.netns(), IcmpKind.ECHO_REPLY_RECEIVED, ip) - read0 == N, 5,
                () -> what + ": replies read " + h.agent().maps().icmpCounters().read());
        assertEquals(N, echo(h, from.cgroupId(), from.netns(), IcmpKind.ECHO_REQUEST_SENT, ip) - sent0,
                what + ": requests sent by ping's cgroup");
        assertEquals(N, echo(h, 0, to.netns(), IcmpKind.ECHO_REQUEST_RECEIVED, ip) - received0,
                what + ": requests received in the responder's namespace");
        assertEquals(N, echo(h, 0, to.netns(), IcmpKind.ECHO_REPLY_SENT, ip) - replied0,
                what + ": replies sent in the responder's namespace");
        // A successful reply is never a drop (they are freed at ping_rcv when a raw socket read them).
        List<ErrorEvent> drops = h.events(ErrorEvent.class, e -> e.kind() == ErrorKind.DROP
                && (e.extra() == 1 || e.extra() == 58) && (e.tuple().srcAddress().equals(dst)
                || e.tuple().dstAddress().equals(dst)));
        assertTrue(drops.isEmpty(), what + ": no drop event for a reply " + drops);
    }

    private static Set<Integer> seqs(List<IcmpEvent> events) {
        Set<Integer> s = new TreeSet<>();
        events.forEach(e -> s.add(e.seq()));
        return s;
    }

    @Test
    void aDatagramToAClosedPortIsAPortUnreachableCountedByTypeOnBothSides() throws Exception {
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            long nsA = netnsOfHost(net.a());
            long nsB = netnsOfHost(net.b());
            for (boolean v6 : new boolean[] {false, true}) {
                int ip = v6 ? 6 : 4;
                int type = v6 ? 1 : 3;
                int code = v6 ? 4 : 3;
                long sent0 = count(h, 0, nsA, IcmpKind.ERROR_SENT, ip, type, code);
                long received0 = count(h, 0, nsB, IcmpKind.ERROR_RECEIVED, ip, type, code);
                net.b().submit(() -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                        byte[] data = "nobody listens".getBytes(StandardCharsets.US_ASCII);
                        s.send(new DatagramPacket(data, data.length, new InetSocketAddress(net.a().address(v6), 24699)));
                    }
                    return null;
                }).get(10, TimeUnit.SECONDS);
                awaitTrue(() -> count(h, 0, nsB, IcmpKind.ERROR_RECEIVED, ip, type, code) - received0 == 1, 5,
                        () -> "IPv" + ip + " port unreachable received " + h.agent().maps().icmpCounters().read());
                assertEquals(1, count(h, 0, nsA, IcmpKind.ERROR_SENT, ip, type, code) - sent0,
                        "IPv" + ip + " port unreachable sent by host a's kernel");
                String nstat = net.a().exec("nstat", "-az", v6 ? "Icmp6OutDestUnreachs" : "IcmpOutDestUnreachs");
                assertTrue(nstat.matches("(?s).*Unreachs\\s+1\\b.*"), "the kernel's own count: " + nstat);
            }
        }
    }

    private static long netnsOfHost(TestNet.Host host) {
        return Long.parseLong(host.exec("stat", "-Lc", "%i", "/proc/self/ns/net").strip());
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
