package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnectCountEvent;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.ConnPeer;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tcpconnect -c in the kernel: the connect() calls a client process of its own cgroup made to a
 * few (address, port) pairs of a test host, refused ones included, counted per (local address,
 * destination address, destination port) exactly as the client made them (its own tally of each
 * call's outcome); with --uid and a --dport list, only the user's calls to the listed ports.
 */
class ConnectCountIT {
    private static final int UID = 4242;
    private static final int OPEN_1 = 24900;
    private static final int OPEN_2 = 24901;
    private static final int CLOSED = 24902;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("setpriv"), "command setpriv on PATH");
    }

    /** A client's attempts: each target's destination and how many connect() calls it makes. */
    private record Target(String addr, int port, int calls, boolean open) {}

    @Test
    void everyConnectIsCountedPerLocalAddressDestinationAndPort() throws Exception {
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).build();
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); AgentHarness h = AgentHarness.start(config)) {
            String a4 = net.a().ipv4();
            String a4b = a4.substring(0, a4.lastIndexOf('.')) + ".3"; // a second address of host A
            String a6 = net.a().ipv6();
            net.a().exec("ip", "addr", "add", a4b + "/24", "dev", net.a().iface());
            Path group = cg.create("netwatcher-it/connects-" + UUID.randomUUID().toString().substring(0, 8));
            long id = Cgroups.id(group);
            List<Process> servers = new ArrayList<>();
            try {
                serve(servers, group, net, a4, OPEN_1);
                serve(servers, group, net, a4b, OPEN_1);
                serve(servers, group, net, a6, OPEN_2);
                List<Target> targets = List.of(new Target(a4, OPEN_1, 3, true), new Target(a4b, OPEN_1, 2, true),
                        new Target(a4, CLOSED, 4, false), new Target(a6, OPEN_2, 2, true),
                        new Target(a6, CLOSED, 1, false), new Target(a4, OPEN_1, 1, true));
                Map<String, Long> made = attempts(group, net, false, targets);

                h.agent().pollNow(); // the client has exited: every call of it is in the map
                assertEquals(made, counted(h, id), "connects per LADDR RADDR RPORT, as the client made them");
                assertEquals(Map.of(net.b().ipv4() + " " + a4 + " " + OPEN_1, 4L,
                                net.b().ipv4() + " " + a4b + " " + OPEN_1, 2L,
                                net.b().ipv4() + " " + a4 + " " + CLOSED, 4L,
                                net.b().ipv6() + " " + a6 + " " + OPEN_2, 2L,
                                net.b().ipv6() + " " + a6 + " " + CLOSED, 1L), made,
                        "the client's own tally (the refused calls refused, the others connected)");
                assertTotals(h, id);
                assertEquals(0, h.agent().maps().stats().read().get(KernelStat.CONNECTS_FULL), "map full");

                // A second round: the interval's counts add up to the new totals.
                Map<String, Long> again = attempts(group, net, false, List.of(new Target(a4, OPEN_1, 2, true),
                        new Target(a6, CLOSED, 3, false)));
                h.agent().pollNow();
                Map<String, Long> both = new TreeMap<>(made);
                again.forEach((k, v) -> both.merge(k, v, Long::sum));
                assertEquals(both, counted(h, id), "both rounds");
                assertTotals(h, id);
            } finally {
                for (Process s : servers) {
                    s.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void onlyTheUsersConnectsToTheListedPortsAreCounted() throws Exception {
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).dport(OPEN_1, CLOSED).uid(UID)
                .build();
        try (TestNet net = TestNet.create(); Cgroups cg = new Cgroups(); AgentHarness h = AgentHarness.start(config)) {
            String a4 = net.a().ipv4();
            String a6 = net.a().ipv6();
            Path group = cg.create("netwatcher-it/connects-filter-" + UUID.randomUUID().toString().substring(0, 8));
            long id = Cgroups.id(group);
            List<Process> servers = new ArrayList<>();
            try {
                serve(servers, group, net, a4, OPEN_1);
                serve(servers, group, net, a4, OPEN_2);
                serve(servers, group, net, a6, OPEN_1);
                List<Target> targets = List.of(new Target(a4, OPEN_1, 3, true), new Target(a4, OPEN_2, 2, true),
                        new Target(a4, CLOSED, 2, false), new Target(a6, OPEN_1, 1, true),
                        new Target(a6, OPEN_2, 1, false));
                Map<String, Long> root = attempts(group, net, false, targets);
                Map<String, Long> user = attempts(group, net, true, targets);
                assertEquals(root, user, "both made the same calls");

                h.agent().pollNow();
                Map<String, Long> listed = new TreeMap<>(user);
                listed.keySet().removeIf(k -> !k.endsWith(" " + OPEN_1) && !k.endsWith(" " + CLOSED));
                assertEquals(Map.of(net.b().ipv4() + " " + a4 + " " + OPEN_1, 3L,
                        net.b().ipv4() + " " + a4 + " " + CLOSED, 2L,
                        net.b().ipv6() + " " + a6 + " " + OPEN_1, 1L), listed, "the user's calls to listed ports");
                assertEquals(listed, counted(h, id), "only the user's connects to the listed ports (root made the"
                        + " same calls first)");
                assertTotals(h, id);
            } finally {
                for (Process s : servers) {
                    s.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static void serve(List<Process> servers, Path group, TestNet net, String addr, int port) throws Exception {
        Process s = Cgroups.startIn(group, net.a().name(),
                TcpPeer.java(ConnPeer.class, "serve", addr, "" + port).toArray(String[]::new));
        servers.add(s);
        assertEquals("listening", reader(s).readLine(), "server on " + addr + " port " + port);
    }

    /**
     * Runs one client in {@code group} on host B (as the test user or root) making {@code targets}'
     * calls; returns its own tally per "LADDR RADDR RPORT" (the local address of B in the family).
     */
    private static Map<String, Long> attempts(Path group, TestNet net, boolean asUser, List<Target> targets)
            throws Exception {
        List<String> cmd = new ArrayList<>();
        if (asUser) {
            cmd.addAll(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups"));
        }
        List<String> args = new ArrayList<>(List.of("attempts"));
        for (Target t : targets) {
            args.addAll(List.of(t.addr(), "" + t.port(), "" + t.calls()));
        }
        cmd.addAll(TcpPeer.java(ConnPeer.class, args.toArray(String[]::new)));
        Process p = Cgroups.startIn(group, net.b().name(), cmd.toArray(String[]::new));
        Map<String, Long> made = new TreeMap<>();
        try {
            BufferedReader out = reader(p);
            for (Target t : targets) {
                String line = out.readLine();
                String expected = t.open() ? "connected " + t.calls() + " refused 0 other 0"
                        : "connected 0 refused " + t.calls() + " other 0";
                assertEquals(expected, line, "calls to " + t.addr() + " port " + t.port());
                String laddr = t.addr().contains(":") ? net.b().ipv6() : net.b().ipv4();
                made.merge(laddr + " " + t.addr() + " " + t.port(), (long) t.calls(), Long::sum);
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the client exits");
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return made;
    }

    /** The agent's connect_count events of the cgroup, the intervals' counts summed per tuple. */
    private static Map<String, Long> counted(AgentHarness h, long cgroupId) {
        Map<String, Long> out = new TreeMap<>();
        for (ConnectCountEvent c : h.events(ConnectCountEvent.class, c -> c.cgroupId() == cgroupId)) {
            assertEquals(0, c.tuple().sport(), "no local port in the key: " + c);
            out.merge(c.tuple().srcAddress() + " " + c.tuple().dstAddress() + " " + c.tuple().dport(), c.connects(),
                    Long::sum);
        }
        return out;
    }

    /** Each tuple's last event carries the sum of its intervals as its total. */
    private static void assertTotals(AgentHarness h, long cgroupId) {
        Map<String, Long> sum = new TreeMap<>();
        Map<String, Long> last = new TreeMap<>();
        for (ConnectCountEvent c : h.events(ConnectCountEvent.class, c -> c.cgroupId() == cgroupId)) {
            String k = c.tuple().srcAddress() + " " + c.tuple().dstAddress() + " " + c.tuple().dport();
            long s = sum.merge(k, c.connects(), Long::sum);
            assertEquals(s, c.total(), "running total of " + k);
            last.put(k, c.total());
        }
        assertEquals(sum, last);
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }
}
