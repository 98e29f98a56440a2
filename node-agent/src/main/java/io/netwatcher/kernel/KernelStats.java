package io.netwatcher.kernel;

import java.util.Arrays;

/** The probes' statistics ({@link KernelStat}) as of one read of the {@code stats} map, summed over CPUs. */
public final class KernelStats {
    /** Before the first read: every statistic 0. */
    public static final KernelStats NONE = new KernelStats(new long[0]);

    private final long[] values;

    KernelStats(long[] values) {
        this.values = values;
    }

    public long get(KernelStat stat) {
        int i = stat.value();
        return i < values.length ? values[i] : 0;
    }

    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}
