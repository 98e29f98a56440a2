package io.netwatcher.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.Sh;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The probes load into the running kernel, every boundary is backed, and closing removes them all. */
class ProbeLoadIT {
    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    /** Ids of programs named like ours, as bpftool lists them (they exist while loaded or attached). */
    private static Set<String> ourPrograms() {
        return Sh.run("bpftool", "prog", "show").out().lines()
                .filter(l -> l.matches("\\d+: .* name (tp|cg|it|fe|fx|kp|so)_[a-z0-9_]+ .*"))
                .map(l -> l.substring(0, l.indexOf(':')))
                .collect(Collectors.toSet());
    }

    /** The cgroup programs attached to the cgroup2 root. */
    private static String cgroupAttachments(ProbeSet p) {
        return Sh.run("bpftool", "cgroup", "show", p.hooks().cgroup2().orElseThrow().toString()).out();
    }

    @Test
    void everyBoundaryIsBackedAndCloseDetachesEverything() throws Exception {
        Kernel.require(Sh.which("bpftool"), "bpftool on PATH");
        Set<String> before = ourPrograms();
        Set<String> mine = new HashSet<>();
        try (ProbeSet p = ProbeSet.open(ProbeConfig.defaults())) {
            List<Attachment> report = p.attachments();
            assertEquals(Boundary.values().length, report.size(), "one report line per boundary");
            List<Attachment> missing = report.stream().filter(a -> !a.ok()).toList();
            assertTrue(missing.isEmpty(), "boundaries not backed on this kernel: " + missing);
            mine.addAll(ourPrograms());
            mine.removeAll(before);
            assertTrue(mine.size() >= 20, "our programs visible to bpftool: " + mine);
            assertTrue(cgroupAttachments(p).contains("cg_ingress"), "cgroup_skb attached to the cgroup2 root");
            assertTrue(cgroupAttachments(p).contains("so_established"), "sockops attached to the cgroup2 root");
            assertTrue(cgroupAttachments(p).contains("cg_dns_egress") && cgroupAttachments(p).contains("cg_dns_ingress"),
                    "the DNS cgroup_skb programs attached to the cgroup2 root: " + cgroupAttachments(p));
            Map<String, ProbeSet.RunStats> stats = p.runStats();
            assertTrue(stats.containsKey("tp_netif_receive_skb"), "run stats readable from fdinfo: " + stats.keySet());
        }
        // The kernel frees programs after an RCU grace period: give it a moment.
        Set<String> left = new HashSet<>(mine);
        for (int i = 0; i < 50 && !left.isEmpty(); i++) {
            Thread.sleep(100);
            left.retainAll(ourPrograms());
        }
        assertTrue(left.isEmpty(), "programs left behind after close: " + left);
    }

    @Test
    void aPreferredHookKindIsUsedOnlyWhereTheKernelAllowsIt() throws Exception {
        ProbeConfig fentry = ProbeConfig.builder().maxEventsPerSec(0).maxErrorsPerSec(0).snapshotNs(0)
                .ringBufferBytes(1 << 20).maxConnections(1024).preferHook(HookKind.FENTRY).build();
        try (ProbeSet p = ProbeSet.open(fentry)) {
            Attachment transport = p.attachments().stream()
                    .filter(a -> a.boundary() == Boundary.RX_TRANSPORT).findFirst().orElseThrow();
            assertTrue(transport.attached(), transport.toString());
            if (p.hooks().fentrySupported()) {
                assertEquals(HookKind.FENTRY, transport.kind());
            } else {
                // Here (no trampolines) the preference falls back, and the reason is reported.
                assertEquals(HookKind.CGROUP_SKB, transport.kind());
                assertFalse(transport.detail().isEmpty(), "why fentry was not used: " + transport);
            }
        }
    }
}
