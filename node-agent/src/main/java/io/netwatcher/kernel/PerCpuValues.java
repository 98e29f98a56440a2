package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import java.nio.ByteBuffer;

/**
 * A per-CPU map's value as a lookup returns it: one copy per possible CPU, {@code stride} bytes
 * apart. Sums the copies of a field (the probes count on each CPU).
 */
final class PerCpuValues {
    private final int stride;
    private final int cpus;

    PerCpuValues(BpfMap map) {
        this.stride = map.valueStride();
        this.cpus = map.lookupSize() / stride;
    }

    /** The __u64 at {@code offset} of the first CPU's copy, summed over every CPU's copy. */
    long sum(ByteBuffer values, int offset) {
        long sum = 0;
        for (int c = 0; c < cpus; c++) {
            sum += values.getLong(offset + c * stride);
        }
        return sum;
    }

    /** The slots of the struct nw_hist at {@code hist} of the first CPU's copy, each summed over CPUs. */
    long[] slots(ByteBuffer values, int hist) {
        long[] slots = new long[Layouts.HIST_SLOTS];
        for (int s = 0; s < slots.length; s++) {
            slots[s] = sum(values, hist + Layouts.Hist.SLOTS + 8 * s);
        }
        return slots;
    }
}
