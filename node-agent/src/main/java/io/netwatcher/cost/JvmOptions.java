package io.netwatcher.cost;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The JVM options the agent is meant to run with: helm/netwatcher/jvm.options, which the chart
 * passes in JDK_JAVA_OPTIONS, {@code ./dev.sh run} on the command line, and the build copies into
 * the jar. Started without any heap bound (a plain {@code java -jar}), the JVM sizes its heap at a
 * quarter of the host's memory and lets the agent's resident memory grow to several times the
 * chart's; the agent then says so once, naming these options.
 */
public final class JvmOptions {
    /** Options that bound the heap, however given (command line, JDK_JAVA_OPTIONS, JAVA_TOOL_OPTIONS). */
    private static final List<String> HEAP_BOUNDS = List.of("-Xmx", "-XX:MaxHeapSize=", "-XX:MaxRAM=",
            "-XX:MaxRAMPercentage=", "-XX:MaxRAMFraction=");

    private JvmOptions() {}

    /** The options of jvm.options, as one line. */
    public static String recommended() {
        try (InputStream in = JvmOptions.class.getResourceAsStream("jvm.options")) {
            if (in == null) {
                throw new IllegalStateException("jvm.options is missing from the agent's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The warning for a JVM started with {@code jvmArguments} and a maximum heap of
     * {@code maxHeapBytes}, or empty when something bounds the heap.
     */
    static Optional<String> warning(List<String> jvmArguments, String toolOptions, long maxHeapBytes) {
        boolean bounded = jvmArguments.stream().anyMatch(a -> HEAP_BOUNDS.stream().anyMatch(a::startsWith))
                || (toolOptions != null && HEAP_BOUNDS.stream().anyMatch(toolOptions::contains));
        if (bounded) {
            return Optional.empty();
        }
        return Optional.of(String.format("the JVM's heap is not bounded (it may grow to %d MiB): run the agent with"
                + " the JVM options of helm/netwatcher/jvm.options, as the chart and ./dev.sh run do: java %s -jar"
                + " netwatcher-agent.jar ... (and MALLOC_ARENA_MAX=2; see docs/operations.md)",
                maxHeapBytes >> 20, recommended()));
    }

    /** The warning for this JVM, if its heap is not bounded. */
    public static Optional<String> warning() {
        return warning(ManagementFactory.getRuntimeMXBean().getInputArguments(), System.getenv("JAVA_TOOL_OPTIONS"),
                Runtime.getRuntime().maxMemory());
    }
}
