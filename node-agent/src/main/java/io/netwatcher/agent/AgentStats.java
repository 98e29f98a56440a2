package io.netwatcher.agent;

import java.util.concurrent.atomic.AtomicLong;

/** The agent's own counters: records read from the ring buffer, decode errors, kernel-side losses. */
public final class AgentStats {
    final AtomicLong recordsRead = new AtomicLong();
    final AtomicLong decodeErrors = new AtomicLong();
    final AtomicLong listenerErrors = new AtomicLong();
    volatile long[] kernel = new long[8];

    public long recordsRead() {
        return recordsRead.get();
    }

    public long decodeErrors() {
        return decodeErrors.get();
    }

    public long listenerErrors() {
        return listenerErrors.get();
    }

    /** Records lost in the kernel because the ring buffer was full. */
    public long ringBufferLost() {
        return kernel[KernelMaps.STAT_RINGBUF_LOST];
    }

    /** Kernel-side statistics by enum nw_stat index, as of the last poll. */
    public long kernelStat(int index) {
        long[] k = kernel;
        return index < k.length ? k[index] : 0;
    }
}
