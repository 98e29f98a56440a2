package io.netwatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EPERM at start turns into which capabilities this process lacks. */
class CapabilitiesTest {
    private static long caps(int... bits) {
        long set = 0;
        for (int b : bits) {
            set |= 1L << b;
        }
        return set;
    }

    @Test
    void theEffectiveSetIsReadFromProcStatus(@TempDir Path dir) throws Exception {
        Path status = Files.writeString(dir.resolve("status"),
                "Name:\tjava\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000000c000201000\n");
        assertEquals(caps(12, 21, 38, 39), Capabilities.effective(status));
        assertEquals(-1, Capabilities.effective(dir.resolve("missing")));
    }

    @Test
    void missingCapabilitiesAreNamed() {
        assertEquals(List.of("CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"), Capabilities.missing(0));
        assertEquals(List.of("CAP_SYS_ADMIN"), Capabilities.missing(caps(12, 38, 39)), "the chart's list without SYS_ADMIN");
        assertEquals(List.of(), Capabilities.missing(caps(12, 21)), "SYS_ADMIN also grants BPF and PERFMON");
        String advice = Capabilities.advice("bpf_object__load(netwatcher): Operation not permitted (errno 1)", 0);
        assertTrue(advice.contains("needs root, or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN"), advice);
        assertTrue(advice.endsWith("this process lacks CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN"), advice);
        assertTrue(Capabilities.advice("setns: Operation not permitted", caps(12, 21, 38, 39)).contains("seccomp"));
        assertEquals("", Capabilities.advice("kernel has no BTF", 0), "other failures get no advice");
    }
}
