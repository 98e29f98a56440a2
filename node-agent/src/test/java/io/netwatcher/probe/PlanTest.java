package io.netwatcher.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.bpf.BpfObject;
import io.netwatcher.btf.Btf;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How a boundary is backed, from this machine's BTF (read only: nothing is loaded), with fentry
 * taken as working: a candidate whose programs only work together is chosen whole or not at all.
 */
class PlanTest {
    private static BpfObject obj;
    private static KernelHooks hooks;

    @BeforeAll
    static void open() throws Exception {
        obj = BpfObject.open("netwatcher", BpfObjects.read(BpfObjects.NETWATCHER));
        hooks = new KernelHooks(Btf.vmlinux(), null, "not asked", Path.of("/sys/fs/cgroup"));
    }

    @AfterAll
    static void close() {
        obj.close();
    }

    private static ProbeConfig netfilterTimes(HookKind prefer) {
        return ProbeConfig.builder().netfilterTimes(true).preferHook(prefer).build();
    }

    @Test
    void aWholeCandidateIsChosen() {
        ProbeSet.Plan nf = ProbeSet.plan(obj, hooks, netfilterTimes(HookKind.FENTRY), Map.of()).get(Boundary.NF_HOOKS);
        assertEquals(HookKind.FENTRY, nf.kind());
        assertEquals(List.of("fe_nf_hook_slow", "fx_nf_hook_slow"), nf.programs());
        assertTrue(nf.all());
    }

    @Test
    void halfACandidateIsNot() {
        ProbeSet.Plan nf = ProbeSet.plan(obj, hooks, netfilterTimes(HookKind.FENTRY),
                Map.of("fx_nf_hook_slow", "rejected by the verifier")).get(Boundary.NF_HOOKS);
        assertEquals(HookKind.NETFILTER, nf.kind(), "the fentry without its fexit is not used: " + nf);
        assertEquals(List.of("nf_first", "nf_last"), nf.programs());
        assertTrue(nf.reason().contains("fx_nf_hook_slow: rejected by the verifier"), nf.reason());

        ProbeSet.Plan owner = ProbeSet.plan(obj, hooks, netfilterTimes(null),
                Map.of("it_tcp_owner", "rejected by the verifier")).get(Boundary.CONN_OWNER);
        assertTrue(owner.programs().isEmpty(), "the file walk alone cannot store owners: " + owner);
        assertTrue(owner.reason().contains("it_tcp_owner: rejected by the verifier"), owner.reason());
    }

    @Test
    void aCandidateOfAlternativesTakesWhatItCan() {
        Boundary.Candidate drivers = Boundary.RX_DRIVER.candidates().get(0);
        assertFalse(drivers.all());
        assertTrue(drivers.backsWith(List.of("tp_netif_rx")), "one driver entry of five is enough");
        assertFalse(drivers.backsWith(List.of()));
        Boundary.Candidate pair = Boundary.NF_HOOKS.candidates().get(1);
        assertTrue(pair.all());
        assertFalse(pair.backsWith(List.of("fe_nf_hook_slow")));
        assertTrue(pair.backsWith(List.of("fe_nf_hook_slow", "fx_nf_hook_slow")));
    }
}
