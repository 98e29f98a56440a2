package io.netwatcher.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmOptionsTest {
    private static Path repo() {
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        return Files.isDirectory(here.resolve("helm")) ? here : here.getParent();
    }

    @Test
    void theJarCarriesTheChartsJvmOptions() throws Exception {
        assertEquals(Files.readString(repo().resolve("helm/netwatcher/jvm.options")).strip(), JvmOptions.recommended());
        assertTrue(JvmOptions.recommended().contains("-Xmx"), "the options bound the heap");
    }

    @Test
    void anUnboundedHeapIsNamedWithTheOptionsToUse() {
        String w = JvmOptions.warning(List.of("-Dfoo=bar"), null, 6L << 30).orElseThrow();
        assertTrue(w.contains("6144 MiB"), w);
        assertTrue(w.contains("java " + JvmOptions.recommended() + " -jar"), w);
    }

    @Test
    void anyHeapBoundSilencesIt() {
        for (String bound : List.of("-Xmx128m", "-XX:MaxHeapSize=134217728", "-XX:MaxRAM=1g",
                "-XX:MaxRAMPercentage=25", "-XX:MaxRAMFraction=4")) {
            assertTrue(JvmOptions.warning(List.of("-XX:+UseSerialGC", bound), null, 128L << 20).isEmpty(), bound);
        }
        assertTrue(JvmOptions.warning(List.of(), "-Xss512k -Xmx64m", 64L << 20).isEmpty(), "JAVA_TOOL_OPTIONS");
    }
}
