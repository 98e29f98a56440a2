package io.netwatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.deploy.Chart;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Ports;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent's life as an operator sees it: a signal ends a clean run with status 0, in
 * time, even with an OTLP collector that does not answer and a stdout nobody reads, and its BPF
 * links are gone; the health endpoint answers under slow clients and says when the agent is stuck;
 * a collector that is down costs a few one-line log messages; without privileges the agent says
 * which capabilities it needs.
 */
class LifecycleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** SIGTERM to exit: the agent's budget (15 s) plus JVM exit, well inside the chart's 30 s grace. */
    private static final long STOP_BOUND_MS = 18_000;
    /** One log line as the agent writes it. */
    private static final Pattern LOG_LINE = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* (TRACE|DEBUG|INFO |WARN |ERROR) \\S+ - .*");

    private final List<Process> started = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("bpftool"), "bpftool (Debian package bpftool)");
        Kernel.require(Sh.which("setpriv"), "setpriv (util-linux)");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
        for (Path f : files) {
            Files.deleteIfExists(f);
        }
    }

    private Path temp(String suffix) throws IOException {
        Path f = Files.createTempFile("nw-life", suffix);
        files.add(f);
        return f;
    }

    /**
     * The packaged agent with the chart's JVM options (as the chart, {@code ./dev.sh run} and the
     * documented {@code java} command run it), stderr to {@code err}; stdout to {@code out}, or a
     * pipe nobody reads when null.
     */
    private Process launch(Path out, Path err, List<String> prefix, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + Chart.dir().resolve("jvm.options"), "-jar", StandaloneCliIT.jar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        if (out != null) {
            pb.redirectOutput(out.toFile());
        }
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private static void awaitRunning(Process agent, Path err) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && agent.isAlive()) {
            if (Files.readString(err).contains("netwatcher running")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent did not start: " + Files.readString(err));
    }

    /** The BPF link ids the process holds (from the fdinfo of its descriptors). */
    private static Set<Long> links(long pid) throws IOException {
        Set<Long> ids = new HashSet<>();
        Pattern linkId = Pattern.compile("(?m)^link_id:\\s+(\\d+)$");
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fdinfo"))) {
            for (Path f : fds.toList()) {
                try {
                    Matcher m = linkId.matcher(Files.readString(f));
                    if (m.find()) {
                        ids.add(Long.parseLong(m.group(1)));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return ids;
    }

    /** The link ids the kernel has now. */
    private static Set<Long> kernelLinks() throws IOException {
        Set<Long> ids = new HashSet<>();
        for (JsonNode l : JSON.readTree(Sh.ok("bpftool", "-j", "link", "list"))) {
            ids.add(l.get("id").asLong());
        }
        return ids;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends the signal and waits for the exit; returns the milliseconds it took. */
    private static long signalAndWait(Process agent, String signal) throws Exception {
        long t0 = System.nanoTime();
        Sh.ok("kill", "-" + signal, Long.toString(agent.pid()));
        assertTrue(agent.waitFor(STOP_BOUND_MS + 10_000, TimeUnit.MILLISECONDS), "the agent exits after SIG" + signal);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** A collector that accepts connections and never answers. */
    private ServerSocket hungCollector() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(s);
        List<Socket> held = new ArrayList<>();
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    held.add(s.accept()); // held open, never read, never answered
                }
            } catch (IOException e) {
                // closed by the test
            }
        }, "hung-collector");
        t.setDaemon(true);
        t.start();
        closeables.add(() -> {
            for (Socket c : held) {
                c.close();
            }
        });
        return s;
    }

    @Test
    void sigtermEndsWithStatus0InTimeWithAHungCollectorAndAStdoutNobodyReads() throws Exception {
        ServerSocket collector = hungCollector();
        int metricsPort = Ports.free();
        Path err = temp(".err");
        try (TestNet net = TestNet.create()) {
            Process agent = launch(null, err, List.of(), "--standalone", "--metrics-port", Integer.toString(metricsPort),
                    "--otlp-endpoint", "http://127.0.0.1:" + collector.getLocalPort(), "--metric-export-interval", "1",
                    "--liveness-timeout", "3", "--interval", "0.5", "--all");
            awaitRunning(agent, err);
            Set<Long> links = links(agent.pid());
            assertFalse(links.isEmpty(), "the agent holds BPF links");
            assertTrue(kernelLinks().containsAll(links));
            assertEquals(200, get(metricsPort, "/healthz").statusCode());

            // Traffic: far more JSON lines than the pipe and the output buffer hold.
            TcpExchange.run(net, false, 24660, 3_000_000, 1000);
            long deadline = System.nanoTime() + 30_000_000_000L;
            HttpResponse<String> live;
            do {
                Thread.sleep(250);
                live = get(metricsPort, "/healthz");
            } while (live.statusCode() == 200 && System.nanoTime() < deadline);
            assertEquals(503, live.statusCode(), "liveness fails with stdout blocked: " + live.body());
            assertTrue(live.body().startsWith("not live: event output (stdout) blocked for "), live.body());
            assertEquals(200, get(metricsPort, "/readyz").statusCode(), "still ready: probes attached");
            assertEquals(200, get(metricsPort, "/metrics").statusCode(), "metrics still served");

            long ms = signalAndWait(agent, "TERM");
            String log = Files.readString(err);
            System.out.printf("SIGTERM with a hung collector and blocked stdout: exit %d after %d ms%n%s%n",
                    agent.exitValue(), ms, log);
            assertEquals(0, agent.exitValue(), "a clean stop on SIGTERM: " + log);
            assertTrue(ms < STOP_BOUND_MS, "stopped in " + ms + " ms: " + log);
            assertTrue(log.contains("netwatcher stopped: probes detached"), log);
            assertTrue(log.contains("shutdown: event output flush did not finish"), "the blocked step is skipped: " + log);
            Set<Long> left = new HashSet<>(kernelLinks());
            left.retainAll(links);
            assertTrue(left.isEmpty(), "BPF links left behind: " + left);
        }
    }

    @Test
    void sigintEndsWithStatus0AndDetaches() throws Exception {
        Path out = temp(".jsonl");
        Path err = temp(".err");
        Process agent = launch(out, err, List.of(), "--standalone", "--metrics-port", "0");
        awaitRunning(agent, err);
        Set<Long> links = links(agent.pid());
        long ms = signalAndWait(agent, "INT");
        System.out.printf("SIGINT: exit %d after %d ms%n", agent.exitValue(), ms);
        assertEquals(0, agent.exitValue(), "a clean stop on SIGINT: " + Files.readString(err));
        assertTrue(ms < 5000, "an unhindered stop is quick: " + ms + " ms");
        Set<Long> left = new HashSet<>(kernelLinks());
        left.retainAll(links);
        assertTrue(left.isEmpty(), "BPF links left behind: " + left);
    }

    @Test
    void theLastIntervalIsReadWhenTheAgentStops() throws Exception {
        Path out = temp(".jsonl");
        Path err = temp(".err");
        // An interval far longer than the run: only the final read at the stop can report anything.
        Process agent = launch(out, err, List.of(), "--standalone", "--metrics-port", "0", "--interval", "120",
                "--sample", "0");
        awaitRunning(agent, err);
        long sent = 300_000;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (Socket client = new Socket("127.0.0.1", server.getLocalPort()); Socket accepted = server.accept()) {
                TcpExchange.writeBytes(client.getOutputStream(), sent);
                TcpExchange.readExactly(accepted.getInputStream(), sent);
                Thread.sleep(300); // acknowledged
                String src = "127.0.0.1:" + client.getLocalPort();
                signalAndWait(agent, "TERM"); // the connection is still open
                assertEquals(0, agent.exitValue(), Files.readString(err));
                List<JsonNode> flows = new ArrayList<>();
                List<JsonNode> updates = new ArrayList<>();
                for (String line : Files.readAllLines(out)) {
                    JsonNode e = JSON.readTree(line);
                    if (src.equals(e.path("src").asText())) {
                        if (e.path("type").asText().equals("flow")) {
                            flows.add(e);
                        } else if (e.path("type").asText().equals("connection")
                                && e.path("event").asText().equals("update")) {
                            updates.add(e);
                        }
                    }
                }
                String log = Files.readString(err);
                assertFalse(flows.isEmpty(), "a flow event for " + src + " from the last read: " + log);
                JsonNode last = flows.get(flows.size() - 1);
                assertEquals(sent, last.path("tx_total").asLong(), "its bytes: " + last);
                assertEquals(sent, flows.stream().mapToLong(f -> f.path("tx_bytes").asLong()).sum(), flows.toString());
                assertFalse(updates.isEmpty(), "and its connection update");
                assertEquals(sent, updates.get(updates.size() - 1).path("bytes_sent").asLong());
                assertTrue(log.contains("netwatcher stopping: records read"), log);
            }
        }
    }

    @Test
    void halfSentRequestsCannotStallTheProbes() throws Exception {
        int metricsPort = Ports.free();
        Path out = temp(".jsonl");
        Path err = temp(".err");
        Process agent = launch(out, err, List.of(), "--standalone", "--sample", "0", "--metrics-port",
                Integer.toString(metricsPort));
        awaitRunning(agent, err);
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Socket s = new Socket("127.0.0.1", metricsPort);
                slow.add(s);
                OutputStream o = s.getOutputStream();
                o.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII)); // no blank line
                o.flush();
            }
            Thread.sleep(500);
            for (String path : List.of("/healthz", "/readyz", "/metrics")) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = get(metricsPort, path);
                assertEquals(200, r.statusCode(), path + ": " + r.body());
                // Before the fix the answer waited for the slow clients (100 s seen). The bound
                // leaves room for an agent at nice 10 on a machine whose cores other work keeps busy
                // (over a second was seen there for the first /metrics).
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L, path + " within 5 s");
            }
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        signalAndWait(agent, "TERM");
        assertEquals(0, agent.exitValue(), Files.readString(err));
    }

    @Test
    void aCollectorThatIsDownCostsAFewOneLineMessages() throws Exception {
        int down = Ports.free(); // nothing listens there
        Path out = temp(".jsonl");
        Path err = temp(".err");
        try (TestNet net = TestNet.create()) {
            List<String> env = List.of("env", "OTEL_BSP_SCHEDULE_DELAY=200", "OTEL_EXPORTER_OTLP_TIMEOUT=1000");
            Process agent = launch(out, err, env, "--standalone", "--metrics-port", "0", "--otlp-endpoint",
                    "http://127.0.0.1:" + down, "--metric-export-interval", "0.5", "--interval", "0.5");
            awaitRunning(agent, err);
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 12_000_000_000L) { // 12 s of spans and metrics that fail to go out
                TcpExchange.run(net, false, 24661, 200_000, 1000);
                Thread.sleep(500);
            }
            signalAndWait(agent, "TERM");
            assertEquals(0, agent.exitValue(), Files.readString(err));
        }
        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
        for (String line : lines) {
            assertTrue(LOG_LINE.matcher(line).matches(), "every line is one log message in the agent's format: " + line);
        }
        List<String> problems = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
        System.out.printf("collector down for 12 s: %d stderr lines, %d warnings and errors%n%s%n", lines.size(),
                problems.size(), String.join("\n", lines));
        // About 24 metric exports and 60 span batches failed: each kind of failure is written once,
        // and how many of it were held back once more at the stop (the run is shorter than a minute).
        List<String> counts = problems.stream().filter(l -> l.contains(" similar message")).toList();
        List<String> first = problems.stream().filter(l -> !l.contains(" similar message")).toList();
        assertTrue(first.size() <= 8, first.size() + " warnings and errors: " + String.join("\n", problems));
        assertTrue(!counts.isEmpty() && counts.size() <= first.size() && counts.stream().allMatch(l -> l.matches(
                ".* \\[the last of \\d+ similar messages? suppressed in the last \\d+ s\\]")),
                "the counts held back are written at the stop, once per kind: " + String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(l -> l.contains("127.0.0.1:" + down) || l.contains("Failed to export")),
                "the failure is reported: " + String.join("\n", lines));
    }

    @Test
    void withoutPrivilegesTheAgentNamesTheCapabilitiesItNeeds() throws Exception {
        Path out = temp(".jsonl");
        Path err = temp(".err");
        Process agent = launch(out, err, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all"), "--standalone", "--metrics-port", "0");
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS));
        String log = Files.readString(err);
        assertEquals(Main.EXIT_START, agent.exitValue(), log);
        List<String> cannot = log.lines().filter(l -> l.startsWith("netwatcher: cannot start:")).toList();
        assertEquals(1, cannot.size(), log);
        assertTrue(cannot.get(0).contains("Operation not permitted") && cannot.get(0).contains(
                "needs root, or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN") && cannot.get(0).endsWith(
                "this process lacks CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN"), cannot.get(0));
        assertFalse(log.contains("ulimit") || log.contains("RLIMIT_MEMLOCK"), "no misleading memlock advice: " + log);
    }
}
