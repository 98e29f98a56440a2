package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.DnsEvent;
import io.netwatcher.event.DnsOutcome;
import io.netwatcher.event.Tuple;
import io.netwatcher.kernel.DnsCounter;
import io.netwatcher.kernel.DnsKind;
import io.netwatcher.probe.Attachment;
import io.netwatcher.probe.Boundary;
import io.netwatcher.probe.DnsConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.DnsPeer;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A DNS server (DnsPeer) on test host a answers NOERROR with N answers, NXDOMAIN, SERVFAIL, and
 * leaves one query unanswered; a client "pod" (its own cgroup) on host b queries it over UDP
 * (IPv4 from an unconnected socket, IPv6 from a connected one) and TCP (IPv4 and IPv6). What the
 * agent reports for the pod is checked against what the client sent and received: queries,
 * responses by code, the timeout, no unmatched response, the latency histogram's count (every
 * answered query) and one dns event per query with its id, name, type, code, answer count, server
 * and a latency within the client's own round trip. With names off, events carry no name.
 */
class DnsIT {
    private static final long TIMEOUT_NS = 1_000_000_000L;
    /** The client waits this long for a response: past the agent's timeout. */
    private static final int WAIT_MS = 2_000;
    private static final Pattern REPLY = Pattern.compile("(\\d+) (?:rcode=(\\d+) answers=(\\d+) rtt_ns=(\\d+)|timeout)");
    private static final int UDP = 17;
    private static final int TCP = 6;
    private static final int A = 1;
    private static final int AAAA = 28;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    private record Query(int id, String name, int qtype) {
    }

    /** What the client saw: rcode -1 for no response within WAIT_MS. */
    private record Reply(int rcode, int answers, long rttNs) {
        boolean answered() {
            return rcode >= 0;
        }
    }

    /** One client run: its transport and family, queries, and replies by id. */
    private record Run(int protocol, int ip, String server, long pid, List<Query> queries, Map<Integer, Reply> replies) {
    }

    private static Query q(int id, String name, int qtype) {
        return new Query(id, name, qtype);
    }

    @Test
    void queriesOverUdpAndTcpAreCountedTimedAndReportedAsTheClientSawThem() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder()
                     .dns(new DnsConfig(true, true, TIMEOUT_NS)).build())) {
            Process server = serve(net.a());
            try {
                Path pod = cg.create("netwatcher-it/dns-" + UUID.randomUUID().toString().substring(0, 8));
                long cgroupId = Cgroups.id(pod);
                List<Run> runs = List.of(
                        query(pod, net.b(), "udp", UDP, 4, net.a().ipv4(), List.of(q(101, "n1.example.test", A),
                                q(102, "n3.example.test", AAAA), q(103, "nx.example.test", A),
                                q(104, "fail.example.test", A), q(105, "silent.example.test", A))),
                        query(pod, net.b(), "udp-connected", UDP, 6, net.a().ipv6(), List.of(
                                q(201, "n2.svc.cluster.local", AAAA), q(202, "nx.svc.cluster.local", AAAA))),
                        query(pod, net.b(), "tcp", TCP, 4, net.a().ipv4(), List.of(q(301, "n4.example.test", A),
                                q(302, "nx.example.test", A))),
                        query(pod, net.b(), "tcp", TCP, 6, net.a().ipv6(), List.of(q(401, "n1.example.test", AAAA))));
                // The server's own rules, as the client saw them (the test's independent view).
                Map<Integer, Reply> all = new HashMap<>();
                runs.forEach(r -> all.putAll(r.replies()));
                assertEquals(1, all.get(101).answers());
                assertEquals(3, all.get(102).answers());
                assertEquals(3, all.get(103).rcode(), "NXDOMAIN");
                assertEquals(2, all.get(104).rcode(), "SERVFAIL");
                assertTrue(!all.get(105).answered(), "the silent query went unanswered");
                assertEquals(4, all.get(301).answers());
                int queries = all.size();
                long answered = all.values().stream().filter(Reply::answered).count();
                assertEquals(10, queries);
                assertEquals(9, answered);

                awaitTrue(() -> events(h, cgroupId).size() >= queries, 10,
                        () -> "one dns event per query: " + events(h, cgroupId));
                List<DnsEvent> events = events(h, cgroupId);
                assertEquals(queries, events.size(), "one event per query: " + events);
                for (Run run : runs) {
                    checkEvents(run, events);
                }
                checkCounters(h, cgroupId, runs);
                CgroupHistogram hist = h.agent().maps().dnsHistograms().read().stream()
                        .filter(x -> x.cgroupId() == cgroupId).findFirst().orElseThrow();
                assertEquals(answered, hist.count(), "the latency histogram counts every answered query");
                assertEquals(answered, Arrays.stream(hist.slots()).sum(), "and its slots hold them");
                long rtts = all.values().stream().filter(Reply::answered).mapToLong(Reply::rttNs).sum();
                assertTrue(hist.sumNs() > 0 && hist.sumNs() <= rtts, "kernel latency sum " + hist.sumNs()
                        + " ns within the client's round trips " + rtts + " ns");
            } finally {
                stop(server);
            }
        }
    }

    @Test
    void withNamesOffEventsCarryNoNameAndTheCountsStay() throws Exception {
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups();
             AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder()
                     .dns(new DnsConfig(true, false, TIMEOUT_NS)).build())) {
            Process server = serve(net.a());
            try {
                Path pod = cg.create("netwatcher-it/dns-" + UUID.randomUUID().toString().substring(0, 8));
                long cgroupId = Cgroups.id(pod);
                Run run = query(pod, net.b(), "udp", UDP, 4, net.a().ipv4(), List.of(q(501, "n2.secret.example", A),
                        q(502, "nx.secret.example", AAAA)));
                awaitTrue(() -> events(h, cgroupId).size() >= 2, 10, () -> "dns events " + events(h, cgroupId));
                List<DnsEvent> events = events(h, cgroupId);
                assertEquals(2, events.size());
                for (DnsEvent e : events) {
                    assertEquals("", e.name(), "no name with names off: " + e);
                }
                checkEvents(run, events, false);
                checkCounters(h, cgroupId, List.of(run));
            } finally {
                stop(server);
            }
        }
    }

    @Test
    void withDnsOffNoDnsProgramIsAttached() throws Exception {
        try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig().toBuilder()
                .dns(new DnsConfig(false, true, TIMEOUT_NS)).build())) {
            List<Attachment> dns = h.agent().probes().attachments().stream()
                    .filter(a -> a.boundary() == Boundary.DNS_EGRESS || a.boundary() == Boundary.DNS_INGRESS).toList();
            assertEquals(2, dns.size(), "both DNS boundaries reported: " + dns);
            for (Attachment a : dns) {
                assertEquals(Attachment.Status.UNUSED, a.status(), "off: " + a);
            }
        }
        try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
            long on = h.agent().probes().attachments().stream().filter(a -> (a.boundary() == Boundary.DNS_EGRESS
                    || a.boundary() == Boundary.DNS_INGRESS) && a.attached()).count();
            assertEquals(2, on, "on by default: " + h.agent().probes().attachments());
        }
    }

    private static List<DnsEvent> events(AgentHarness h, long cgroupId) {
        return h.events(DnsEvent.class, e -> e.cgroupId() == cgroupId);
    }

    private static void checkEvents(Run run, List<DnsEvent> events) {
        checkEvents(run, events, true);
    }

    private static void checkEvents(Run run, List<DnsEvent> events, boolean names) {
        for (Query q : run.queries()) {
            List<DnsEvent> of = events.stream().filter(e -> e.id() == q.id()).toList();
            assertEquals(1, of.size(), "one event for query " + q + ": " + events);
            DnsEvent e = of.get(0);
            Reply r = run.replies().get(q.id());
            String what = "query " + q + " -> " + r + ": " + e;
            assertEquals(names ? q.name() : "", e.name(), what);
            assertEquals(q.qtype(), e.qtype(), what);
            assertEquals(run.protocol(), e.protocol(), what);
            Tuple t = e.tuple();
            assertEquals(run.ip() == 6 ? Tuple.AF_INET6 : Tuple.AF_INET, t.family(), what);
            assertEquals(run.server(), t.dstAddress(), "the server: " + what);
            assertEquals(53, t.dport(), what);
            assertTrue(t.sport() > 0, what);
            assertEquals(run.pid(), e.pid(), "the client process sent it: " + what);
            if (r.answered()) {
                assertEquals(DnsOutcome.ANSWERED, e.outcome(), what);
                assertEquals(r.rcode(), e.rcode(), what);
                assertEquals(r.answers(), e.ancount(), what);
                assertTrue(e.latencyNs() > 0 && e.latencyNs() <= r.rttNs(), "kernel latency within the client's"
                        + " round trip: " + what);
            } else {
                assertEquals(DnsOutcome.TIMED_OUT, e.outcome(), what);
                assertTrue(e.latencyNs() >= TIMEOUT_NS && e.latencyNs() < WAIT_MS * 1_000_000L,
                        "timed out after the timeout: " + what);
            }
        }
    }

    /** The pod's counters equal what its client sent and received, per transport and family. */
    private static void checkCounters(AgentHarness h, long cgroupId, List<Run> runs) throws InterruptedException {
        Map<DnsCounter, Long> expected = new HashMap<>();
        for (Run run : runs) {
            for (Reply r : run.replies().values()) {
                expected.merge(new DnsCounter(cgroupId, DnsKind.QUERY, 0, run.protocol(), run.ip()), 1L, Long::sum);
                DnsCounter end = r.answered()
                        ? new DnsCounter(cgroupId, DnsKind.RESPONSE, r.rcode(), run.protocol(), run.ip())
                        : new DnsCounter(cgroupId, DnsKind.TIMEOUT, 0, run.protocol(), run.ip());
                expected.merge(end, 1L, Long::sum);
            }
        }
        awaitTrue(() -> counters(h, cgroupId).equals(expected), 5, () -> "counters " + counters(h, cgroupId)
                + " expected " + expected);
    }

    private static Map<DnsCounter, Long> counters(AgentHarness h, long cgroupId) {
        Map<DnsCounter, Long> out = new HashMap<>();
        h.agent().maps().dnsCounters().read().forEach((k, v) -> {
            if (k.cgroupId() == cgroupId) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static Process serve(TestNet.Host host) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", host.name()));
        cmd.addAll(DnsPeer.command("serve"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        if (!"listening".equals(line)) {
            stop(p);
            throw new AssertionError("DNS server did not start: " + line);
        }
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Runs the client in the pod's cgroup on {@code host}; returns its replies by query id. */
    private static Run query(Path pod, TestNet.Host host, String mode, int protocol, int ip, String server,
                             List<Query> queries) throws Exception {
        List<String> args = new ArrayList<>(List.of("query", mode, server, "" + WAIT_MS));
        queries.forEach(q -> args.add(q.id() + ":" + q.name() + ":" + q.qtype()));
        Process p = Cgroups.startIn(pod, host.name(), DnsPeer.command(args.toArray(String[]::new))
                .toArray(String[]::new));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "client finished");
        assertEquals(0, p.exitValue(), "client succeeded: " + out);
        Map<Integer, Reply> replies = new HashMap<>();
        Matcher m = REPLY.matcher(out);
        while (m.find()) {
            int id = Integer.parseInt(m.group(1));
            replies.put(id, m.group(2) == null ? new Reply(-1, 0, 0)
                    : new Reply(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Long.parseLong(m.group(4))));
        }
        assertEquals(queries.size(), replies.size(), "one line per query: " + out);
        return new Run(protocol, ip, server, p.pid(), queries, replies);
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
