package io.netwatcher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpExchange;
import io.netwatcher.testing.TestNet;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The capability list the chart gives the agent container is enough, and needed: the packaged
 * agent runs as root with its capability bounding set cut to exactly the chart's list (setpriv),
 * attaches every boundary and reports a connection between two network namespaces with the bytes
 * sent; without CAP_SYS_ADMIN it cannot walk the other namespaces' sockets and says so.
 */
class ChartCapabilitiesIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("setpriv"), "setpriv (util-linux)");
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("netwatcher.jar", "target/netwatcher-agent.jar"));
        Kernel.require(Files.isRegularFile(jar), "packaged agent " + jar + " (mvn package)");
        return jar;
    }

    private static Process launch(List<String> caps, Path out, String... args) throws Exception {
        String bounding = "-all," + caps.stream().map(c -> "+" + c.toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(","));
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--bounding-set=" + bounding,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(new File(out + ".err")).start();
    }

    private static void awaitRunning(Process agent, Path err) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && agent.isAlive()) {
            if (Files.exists(err) && Files.readString(err).contains("netwatcher running")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent did not start: " + Files.readString(err));
    }

    @Test
    void theChartsCapabilitiesAreEnoughAndSysAdminIsNeeded() throws Exception {
        List<String> caps = Chart.addedCapabilities(Chart.render(Map.of()));
        assertTrue(caps.contains("SYS_ADMIN"), caps.toString());
        int port = 24640;
        long bytes = 1_500_000;
        Path out = Files.createTempFile("nw-caps", ".jsonl");
        Path err = Path.of(out + ".err");
        try (TestNet net = TestNet.create()) {
            Process agent = launch(caps, out, "--standalone", "--all", "--events", "connection", "--dport",
                    Integer.toString(port), "--duration", "8", "--interval", "0.5", "--metrics-port", "0");
            awaitRunning(agent, err);
            TcpExchange.Result r = TcpExchange.run(net, false, port, bytes, 1000);
            assertTrue(agent.waitFor(60, TimeUnit.SECONDS));
            String log = Files.readString(err);
            assertEquals(0, agent.exitValue(), log);
            assertFalse(log.contains("FAILED via"), "every boundary attached: " + log);
            boolean closed = false;
            for (String line : Files.readAllLines(out)) {
                JsonNode e = JSON.readTree(line);
                if (e.path("event").asText().equals("close") && e.path("src").asText().endsWith(":" + r.clientPort())) {
                    assertEquals(bytes, e.path("bytes_sent").asLong(), line);
                    closed = true;
                }
            }
            assertTrue(closed, "the client's close event, from the other network namespace");

            List<String> fewer = caps.stream().filter(c -> !c.equals("SYS_ADMIN")).toList();
            Process without = launch(fewer, out, "--standalone", "--duration", "3", "--metrics-port", "0");
            assertTrue(without.waitFor(60, TimeUnit.SECONDS));
            String why = Files.readString(err);
            assertEquals(1, without.exitValue(), why);
            assertTrue(why.contains("cannot start") && why.contains("Operation not permitted"), why);
            assertTrue(why.contains("this process lacks CAP_SYS_ADMIN"), "names the missing capability: " + why);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
