package io.netwatcher.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netwatcher.btf.Btf;
import io.netwatcher.probe.BpfObjects;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link CallLayouts} against calls.bpf.o's BTF: the key's size, every member's offset. */
class CallLayoutsTest {
    private static final Btf BTF = Btf.ofObject(BpfObjects.read(BpfObjects.CALLS));

    @Test
    void theKeyMatchesTheObject() {
        int id = BTF.find(CallLayouts.Key.STRUCT, Btf.KIND_STRUCT).orElseThrow();
        assertEquals(BTF.size(id), CallLayouts.Key.SIZE);
        assertEquals(Map.of("cgroup_id", CallLayouts.Key.CGROUP_ID, "tgid", CallLayouts.Key.TGID,
                "func", CallLayouts.Key.FUNC, "comm", CallLayouts.Key.COMM), BTF.memberOffsets(CallLayouts.Key.STRUCT));
    }

    @Test
    void theStatIndexMatchesTheEnum() {
        assertEquals((long) CallLayouts.STAT_FULL, BTF.enumValues("nw_calls_stat").get("NW_CALLS_STAT_FULL"));
    }
}
