package io.netwatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.btf.Btf;
import io.netwatcher.probe.BpfObjects;
import io.netwatcher.probe.KernelHooks;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Ports;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * --count-calls as a user runs it, on whatever kernel the suite runs on. Without kprobes (this
 * suite's 6.18: no CONFIG_KPROBES, as /proc/kallsyms shows, having no register_kprobe) the agent
 * says once, naming the option, that call counting is unavailable and why, reports a misspelt
 * function on its own line, prints no call_count event and keeps running: the connection of the
 * test's own exchange is reported and SIGTERM stops it with status 0. With kprobes the test's own
 * process is counted calling tcp_sendmsg (Debian's 6.1 under qemu: docs/kernel-matrix.md).
 */
class CallCountIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FUNCTIONS = "tcp_sendmsg,skb_clone,nw_no_such_function";

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    /** The kernel's own word: kprobes are built in when their registration function is. */
    /** kprobes (register_kprobe in the kernel) or fentry (the agent's own feature probe attaches). */
    private static boolean kernelCanCount() throws Exception {
        try (Stream<String> lines = Files.lines(Path.of("/proc/kallsyms"))) {
            if (lines.anyMatch(l -> l.endsWith(" register_kprobe"))) {
                return true;
            }
        }
        return KernelHooks.detect(Btf.vmlinux(), BpfObjects.read(BpfObjects.FEATURES), Optional.empty())
                .fentrySupported();
    }

    @Test
    void countCallsSaysClearlyWhetherItCountsAndTheAgentRunsEitherWay() throws Exception {
        int port = 24640;
        int metricsPort = Ports.free();
        Path out = Files.createTempFile("nw-calls", ".jsonl");
        Path err = Path.of(out + ".err");
        try (TestNet net = TestNet.create()) {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    StandaloneCliIT.jar().toString(), "--standalone", "--count-calls", FUNCTIONS, "--events",
                    "call_count,connection", "-a", "--interval", "0.5", "--duration", "60", "--metrics-port",
                    Integer.toString(metricsPort), "--metrics-address", "127.0.0.1");
            Process agent = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(new File(err.toString()))
                    .start();
            try {
                waitForStart(err);
                TcpExchange.Result r = TcpExchange.run(net, false, port, 200_000, 1_000);
                Thread.sleep(1500); // the exchange's close and three intervals of counts
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                agent.destroy(); // SIGTERM: a clean stop
                assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "stops on SIGTERM");
                String log = Files.readString(err);
                assertEquals(0, agent.exitValue(), "runs and stops cleanly with --count-calls: " + log);

                List<JsonNode> events = new ArrayList<>();
                for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                    events.add(JSON.readTree(line));
                }
                List<JsonNode> calls = events.stream().filter(e -> e.get("type").asText().equals("call_count")).toList();
                assertTrue(events.stream().anyMatch(e -> e.get("type").asText().equals("connection")
                        && e.get("event").asText().equals("close")
                        && e.get("src").asText().endsWith(":" + r.clientPort())),
                        "the rest of the agent runs: the exchange's close is reported");
                List<String> misspelt = log.lines().filter(l -> l.contains("ERROR") && l.contains(
                        "call counting: nw_no_such_function (--count-calls) not counted: kernel function"
                                + " nw_no_such_function is not traceable")).toList();
                assertEquals(1, misspelt.size(), "a misspelt function is named once on every kernel: " + log);

                if (!kernelCanCount()) {
                    List<String> unavailable = log.lines().filter(l -> l.contains("call counting UNAVAILABLE"))
                            .toList();
                    assertEquals(1, unavailable.size(), "said once: " + log);
                    String line = unavailable.get(0);
                    assertTrue(line.contains(" ERROR "), "an error line: " + line);
                    assertTrue(line.contains("call counting UNAVAILABLE (--count-calls " + FUNCTIONS + "): kernel"
                            + " function calls are counted with kprobes or fentry, and this kernel allows neither"),
                            "names the option and the reason: " + line);
                    assertTrue(line.contains("probe_kprobe") && line.contains("fentry: ")
                            && line.endsWith("running without call counts"), line);
                    assertEquals(List.of(), calls, "nothing counted");
                    assertEquals(0.0, counted(metrics, "tcp_sendmsg"), "the metric says so too: "
                            + grep(metrics, "netwatcher_calls"));
                } else {
                    assertFalse(log.contains("call counting UNAVAILABLE"), log);
                    long self = ProcessHandle.current().pid();
                    long sends = calls.stream().filter(c -> c.get("pid").asLong() == self
                            && c.get("function").asText().equals("tcp_sendmsg"))
                            .mapToLong(c -> c.get("count").asLong()).sum();
                    assertTrue(sends >= 1, "this process's sends are counted: " + calls);
                    assertEquals(1.0, counted(metrics, "tcp_sendmsg"), grep(metrics, "netwatcher_calls"));
                }
            } finally {
                agent.destroyForcibly();
            }
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The value of netwatcher_calls_function_counted for one function on /metrics. */
    private static double counted(String metrics, String function) {
        List<String> lines = metrics.lines().filter(l -> l.startsWith("netwatcher_calls_function_counted{")
                && l.contains("function=\"" + function + "\"")).toList();
        assertEquals(1, lines.size(), grep(metrics, "netwatcher_calls"));
        String l = lines.get(0);
        return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
    }

    private static String grep(String text, String word) {
        return String.join("\n", text.lines().filter(l -> l.contains(word)).toList());
    }

    private static void waitForStart(Path err) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(err) && Files.readString(err).contains("netwatcher running")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent did not start: " + (Files.exists(err) ? Files.readString(err) : ""));
    }
}
