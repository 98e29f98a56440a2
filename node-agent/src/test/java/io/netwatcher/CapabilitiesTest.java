package io.netwatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.bpf.BpfException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EPERM at start turns into which capabilities this process lacks; a verifier rejection does not. */
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
        String advice = Capabilities.advice(BpfException.errno("bpf_object__load(netwatcher)", 1), 0);
        assertTrue(advice.contains("needs root, or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN"), advice);
        assertTrue(advice.endsWith("this process lacks CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN"), advice);
        assertTrue(Capabilities.advice(new IllegalStateException("setns: Operation not permitted"), ALL).contains("seccomp"));
        assertEquals("", Capabilities.advice(new IllegalStateException("kernel has no BTF"), 0),
                "other failures get no advice");
    }

    private static final long ALL = caps(12, 21, 38, 39);
    /** What BpfObject.load throws when the verifier rejects a program (EACCES, with the log's tail). */
    private static final String REJECTED = "bpf_object__load(netwatcher): Permission denied (errno 13)\n"
            + "verifier log of tp_tcp_probe:\n0: R1=ctx() R10=fp0\n; int tp_tcp_probe(...)\n"
            + "1: (79) r2 = *(u64 *)(r1 +8)\nR1 invalid mem access 'scalar'\nprocessed 12 insns\n";

    @Test
    void aVerifierRejectionIsNotBlamedOnPrivileges() {
        String root = Capabilities.advice(new IllegalStateException(REJECTED), ALL);
        assertTrue(root.startsWith("; the kernel's verifier rejected program tp_tcp_probe"), root);
        assertTrue(root.contains("not a missing privilege"), root);
        assertFalse(root.contains("seccomp") || root.contains("lacks") || root.contains("needs root"), root);
        String unprivileged = Capabilities.advice(new IllegalStateException(REJECTED), caps(12));
        assertTrue(unprivileged.startsWith("; the kernel's verifier rejected program tp_tcp_probe"), unprivileged);
        assertTrue(unprivileged.contains("this process also lacks CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN"), unprivileged);
        String einval = Capabilities.advice(new IllegalStateException(REJECTED.replace("Permission denied (errno 13)",
                "Invalid argument (errno 22)")), ALL);
        assertTrue(einval.contains("verifier rejected program tp_tcp_probe"), einval);
        String wrapped = Capabilities.advice(new IllegalStateException("cannot load", new IllegalStateException(REJECTED)),
                ALL);
        assertTrue(wrapped.contains("verifier rejected program tp_tcp_probe"), "found among the causes: " + wrapped);
    }

    @Test
    void permissionDeniedBlamesCapabilitiesOnlyWhenTheyAreMissing() {
        Throwable eacces = BpfException.errno("bpf_program__attach(tp_tcp_probe)", 13);
        assertTrue(Capabilities.advice(eacces, caps(12)).endsWith("this process lacks CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN"));
        String root = Capabilities.advice(eacces, ALL);
        assertTrue(root.contains("an LSM") && !root.contains("lacks"), root);
        assertEquals(Capabilities.EPERM, Capabilities.errno(new RuntimeException("x", BpfException.errno("bpf", 1))));
        assertEquals(Capabilities.EACCES, Capabilities.errno(new RuntimeException("open: Permission denied")));
        assertEquals(0, Capabilities.errno(new RuntimeException((String) null)));
    }
}
