package io.netwatcher.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.kernel.CounterMap;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.probe.ProbeSet;
import io.netwatcher.testing.Kernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Whole-map reads in chunks, batched and key by key, against a real per-CPU hash map. */
class BpfMapIT {
    private static final long BASE = 0x7EED_0000_0000L; // cgroup ids no real cgroup has

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
    }

    @ParameterizedTest
    @CsvSource({"64, false", "64, true", "1, false", "1000, true", "5000, false"})
    void everyEntryIsReadExactlyOnceWithItsPerCpuValues(int chunk, boolean byKeys) throws Exception {
        try (ProbeSet p = ProbeSet.open(ProbeConfig.defaults())) {
            BpfMap counters = p.object().map(CounterMap.COUNTERS);
            int cpus = counters.lookupSize() / counters.valueStride();
            int n = 1000;
            for (int i = 0; i < n; i++) {
                ByteBuffer v = ByteBuffer.allocate(counters.lookupSize()).order(ByteOrder.nativeOrder());
                for (int c = 0; c < cpus; c++) {
                    v.putLong(c * counters.valueStride(), i + c);
                }
                counters.update(key(i), v.array(), 0);
            }
            Map<Long, Long> seen = new HashMap<>();
            int[] chunks = new int[1];
            counters.forEachChunk(chunk, byKeys, e -> {
                chunks[0]++;
                assertTrue(e.count() <= Math.max(chunk, 64), "a chunk holds at most the chunk size (grown to whole hash buckets)");
                for (int i = 0; i < e.count(); i++) {
                    long cg = e.keys().getLong(e.keyOffset(i) + Layouts.CounterKey.CGROUP_ID);
                    if (cg >= BASE && cg < BASE + n) {
                        long sum = 0;
                        for (int c = 0; c < cpus; c++) {
                            sum += e.values().getLong(e.valueOffset(i) + c * counters.valueStride());
                        }
                        assertEquals(null, seen.put(cg, sum), "entry read twice: " + cg);
                    }
                }
            });
            assertEquals(n, seen.size(), "every entry read");
            for (int i = 0; i < n; i++) {
                long expected = (long) i * cpus + (long) cpus * (cpus - 1) / 2;
                assertEquals(expected, seen.get(BASE + i), "per-CPU values summed for entry " + i);
            }
            if (chunk >= 64) {
                assertTrue(chunks[0] >= (n + chunk - 1) / chunk, chunks[0] + " chunks");
            }
            assertTrue(counters.countEntries() >= n);
        }
    }

    private static byte[] key(int i) {
        ByteBuffer k = ByteBuffer.allocate(Layouts.CounterKey.SIZE).order(ByteOrder.nativeOrder());
        k.putLong(Layouts.CounterKey.CGROUP_ID, BASE + i).putShort(Layouts.CounterKey.KIND, (short) 99)
                .putInt(Layouts.CounterKey.DETAIL, i);
        return k.array();
    }
}
