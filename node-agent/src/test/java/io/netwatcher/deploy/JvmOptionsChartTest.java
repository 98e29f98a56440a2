package io.netwatcher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One set of JVM options for every way the agent runs: helm/netwatcher/jvm.options is what the
 * chart (and so k8s/) passes in JDK_JAVA_OPTIONS and what ./dev.sh run passes on the command line.
 */
class JvmOptionsChartTest {
    private static String options() throws Exception {
        return Files.readString(Chart.dir().resolve("jvm.options")).strip();
    }

    private static String env(Map<String, Object> set, String name) {
        Container c = Chart.daemonSet(Chart.render(set)).getSpec().getTemplate().getSpec().getContainers().get(0);
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not set"));
    }

    @Test
    void theChartPassesJvmOptionsUnlessTheyAreOverridden() throws Exception {
        assertTrue(options().lines().count() == 1 && options().contains("-Xmx"), "one line that bounds the heap");
        assertEquals(options(), env(Map.of(), "JDK_JAVA_OPTIONS"));
        assertEquals("2", env(Map.of(), "MALLOC_ARENA_MAX"));
        assertEquals("-Xmx1g", env(Map.of("agent.javaOpts", "-Xmx1g"), "JDK_JAVA_OPTIONS"));
    }

    @Test
    void devShRunsTheAgentWithTheSameOptions() throws Exception {
        String dev = Files.readString(Chart.root().resolve("dev.sh"));
        assertTrue(dev.contains("jvm_options=helm/netwatcher/jvm.options"), "dev.sh reads the chart's file");
        String run = dev.lines().filter(l -> l.strip().startsWith("exec java ")).findFirst().orElseThrow();
        assertTrue(run.contains("\"@$jvm_options\""), "dev.sh run passes it as an argument file: " + run);
        assertTrue(dev.contains("MALLOC_ARENA_MAX=\"${MALLOC_ARENA_MAX:-2}\""), "and the chart's MALLOC_ARENA_MAX");
    }
}
