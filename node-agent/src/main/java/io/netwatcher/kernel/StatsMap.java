package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The {@code stats} map: the probes' per-CPU statistics array, indexed by {@link KernelStat}. */
public final class StatsMap {
    public static final String NAME = "stats";

    private final BpfMap map;

    StatsMap(BpfObject object) {
        this.map = object.map(NAME);
    }

    /** Every statistic now, summed over CPUs. */
    public KernelStats read() {
        int n = map.maxEntries();
        long[] out = new long[n];
        byte[] key = new byte[4];
        byte[] value = new byte[map.lookupSize()];
        PerCpuValues cpus = new PerCpuValues(map);
        ByteBuffer kb = ByteBuffer.wrap(key).order(ByteOrder.nativeOrder());
        ByteBuffer vb = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            kb.putInt(0, i);
            if (map.lookup(key, value)) {
                out[i] = cpus.sum(vb, 0);
            }
        }
        return new KernelStats(out);
    }
}
