package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code counters} map: per-CPU event counts per cgroup, kind and detail (key struct
 * nw_counter_key, value __u64).
 */
public final class CounterMap implements MapView {
    public static final String NAME = "counters";

    private final BpfMap map;

    CounterMap(BpfObject object) {
        this.map = object.map(NAME);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int entries() {
        return map.countEntries();
    }

    @Override
    public int capacity() {
        return map.maxEntries();
    }

    @Override
    public Optional<KernelStat> fullStat() {
        return Optional.of(KernelStat.COUNTERS_FULL);
    }

    /** Every counter, summed over CPUs (a kind this agent does not know is left out). */
    public Map<Counter, Long> read() {
        Map<Counter, Long> out = new HashMap<>();
        int stride = map.valueStride();
        int cpus = map.lookupSize() / stride;
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                CounterKind kind = CounterKind.of(Short.toUnsignedInt(k.getShort(ko + Layouts.CounterKey.KIND)));
                if (kind == null) {
                    continue;
                }
                long sum = 0;
                for (int c = 0; c < cpus; c++) {
                    sum += e.values().getLong(e.valueOffset(i) + c * stride);
                }
                out.merge(new Counter(k.getLong(ko + Layouts.CounterKey.CGROUP_ID), kind,
                        k.getInt(ko + Layouts.CounterKey.DETAIL)), sum, Long::sum);
            }
        });
        return out;
    }

    /** Deletes every counter of a cgroup (the cgroup is gone). */
    public void forget(long cgroupId) {
        for (Counter c : read().keySet()) {
            if (c.cgroupId() == cgroupId) {
                ByteBuffer k = ByteBuffer.allocate(Layouts.CounterKey.SIZE).order(ByteOrder.nativeOrder());
                k.putLong(Layouts.CounterKey.CGROUP_ID, cgroupId)
                        .putShort(Layouts.CounterKey.KIND, (short) c.kind().value())
                        .putInt(Layouts.CounterKey.DETAIL, c.detail());
                map.delete(k.array());
            }
        }
    }
}
