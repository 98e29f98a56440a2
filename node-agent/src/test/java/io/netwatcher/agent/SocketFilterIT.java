package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Role;
import io.netwatcher.event.StateEvent;
import io.netwatcher.names.TcpState;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.ConnPeer;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tcpconnect's filters (--uid, port lists) in the kernel: connections made as another user
 * (setpriv) and to ports outside the list are not reported, those of the user to the listed ports
 * are, every one of them, with their state transitions.
 */
class SocketFilterIT {
    private static final int UID = 4242;
    private static final int CONNECTS = 3;

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("setpriv"), "command setpriv on PATH");
    }

    private static Process start(TestNet.Host host, boolean asUser, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", host.name()));
        if (asUser) {
            cmd.addAll(List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups"));
        }
        cmd.addAll(TcpPeer.java(ConnPeer.class, args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String line(Process p) throws Exception {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    private static void churn(TestNet net, boolean asUser, int port) throws Exception {
        Process p = start(net.b(), asUser, "churn", net.a().ipv4(), "" + port, "" + CONNECTS, "1");
        assertEquals("done " + CONNECTS, line(p), (asUser ? "uid " + UID : "root") + " to port " + port);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void onlyTheUsersConnectionsToTheListedPortsAreReported() throws Exception {
        int[] ports = {24810, 24811, 24812};
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).stateEvents(true)
                .dport(ports[0], ports[2]).uid(UID).build();
        List<Process> servers = new ArrayList<>();
        try (TestNet net = TestNet.create(); AgentHarness h = AgentHarness.start(config)) {
            try {
                for (int port : ports) {
                    Process s = start(net.a(), false, "serve", net.a().ipv4(), "" + port);
                    servers.add(s);
                    assertEquals("listening", line(s));
                }
                // In this order: what must not be reported is in the ring before what must.
                churn(net, false, ports[0]); // root, a listed port
                churn(net, true, ports[1]); // the user, a port not listed
                churn(net, true, ports[0]);
                churn(net, true, ports[2]);
                for (int port : new int[] {ports[0], ports[2]}) {
                    for (int i = 0; i < CONNECTS; i++) {
                        int n = i;
                        h.await(ConnEvent.class, c -> c.kind() == ConnEvent.Kind.CLOSE && c.tuple().dport() == port
                                && h.events(ConnEvent.class, x -> x.kind() == ConnEvent.Kind.CLOSE
                                        && x.tuple().dport() == port).size() > n, Duration.ofSeconds(15),
                                "close " + n + " to port " + port);
                    }
                }
                h.agent().pollNow();
                List<ConnEvent> conns = h.events(ConnEvent.class);
                Map<String, Long> seen = conns.stream().collect(Collectors.groupingBy(
                        c -> c.kind().label() + " " + c.stats().role().label() + " :" + c.tuple().dport() + " uid "
                                + c.stats().uid(), TreeMap::new, Collectors.counting()));
                assertEquals(Map.of("close client :" + ports[0] + " uid " + UID, (long) CONNECTS,
                        "open client :" + ports[0] + " uid " + UID, (long) CONNECTS,
                        "close client :" + ports[2] + " uid " + UID, (long) CONNECTS,
                        "open client :" + ports[2] + " uid " + UID, (long) CONNECTS),
                        seen.entrySet().stream().filter(e -> !e.getKey().startsWith("update"))
                                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
                        "the user's client connections to the listed ports, each opened and closed once (servers"
                                + " have the clients' ports as remote ports): " + seen);
                assertTrue(conns.stream().allMatch(c -> c.stats().role() == Role.CLIENT && c.stats().uid() == UID),
                        "updates too: " + seen);

                List<StateEvent> states = h.events(StateEvent.class);
                assertTrue(states.stream().allMatch(s -> s.tuple().dport() == ports[0] || s.tuple().dport() == ports[2]),
                        "state events of listed ports only: " + states);
                long connects = states.stream().filter(s -> s.newState() == TcpState.SYN_SENT.value()).count();
                assertEquals(2 * CONNECTS, connects, "every connect() of the user to a listed port: " + states);
            } finally {
                for (Process s : servers) {
                    s.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
