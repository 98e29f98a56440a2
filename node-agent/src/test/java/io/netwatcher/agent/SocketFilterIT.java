package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
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
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Pattern HOLDER = Pattern.compile("pid=(\\d+)");

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

    /**
     * Connections older than the agent, idle, their servers' accepted sockets held by the user's
     * process and by root's: the walk over processes' files finds the holders and the walk over
     * the namespace's sockets stores them, so when both clients reset their connection (the resets
     * are received in softirq, with no process to ask), only the user's server socket's passes --uid.
     */
    @Test
    void theHolderOfASocketOlderThanTheAgentIsItsOwner() throws Exception {
        int userPort = 24813;
        int rootPort = 24814;
        ProbeConfig config = AgentHarness.testConfig().toBuilder().sampleEvery(0).uid(UID).build();
        List<Process> servers = new ArrayList<>();
        List<Socket> clients = new ArrayList<>();
        try (TestNet net = TestNet.create()) {
            try {
                long userPid = 0;
                for (int port : new int[] {rootPort, userPort}) {
                    Process s = start(net.a(), port == userPort, "serve", net.a().ipv4(), "" + port);
                    servers.add(s);
                    assertEquals("listening", line(s));
                    clients.add(net.b().submit(() -> {
                        Socket c = new Socket();
                        c.connect(new InetSocketAddress(net.a().address(false), port), 5000);
                        c.setSoLinger(true, 0); // close() resets
                        return c;
                    }).get(10, TimeUnit.SECONDS));
                    String ss = "";
                    Matcher m = HOLDER.matcher(ss);
                    for (int i = 0; i < 50 && !m.find(); i++) { // accepted, and held (ss -p walks /proc/*/fd)
                        Thread.sleep(100);
                        ss = net.a().exec("ss", "-tnpH", "state", "established", "sport = :" + port).strip();
                        m = HOLDER.matcher(ss);
                    }
                    assertTrue(m.find(0), "ss -p shows the accepted socket's process: " + ss);
                    if (port == userPort) {
                        userPid = Long.parseLong(m.group(1));
                    }
                }
                try (AgentHarness h = AgentHarness.start(config)) {
                    for (Socket c : clients) {
                        net.b().submit(() -> {
                            c.close();
                            return null;
                        }).get(10, TimeUnit.SECONDS);
                    }
                    ErrorEvent reset = h.await(ErrorEvent.class, e -> e.kind() == ErrorKind.RESET && e.detail() == 1
                            && e.tuple().sport() == userPort, WAIT, "the reset the user's server socket received");
                    assertEquals(userPid, reset.pid(), "its holder, as ss -p names it");
                    h.agent().pollNow();
                    assertEquals(List.of(), h.events(ErrorEvent.class, e -> e.tuple().sport() == rootPort
                            || e.tuple().dport() == rootPort), "root's server socket is not the user's");
                }
            } finally {
                for (Process s : servers) {
                    s.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
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
