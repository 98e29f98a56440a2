package io.netwatcher.agent;

import java.util.concurrent.atomic.AtomicLong;

/** The agent's own counters: records read from the ring buffer, decode errors, kernel-side losses. */
public final class AgentStats {
    final AtomicLong recordsRead = new AtomicLong();
    final AtomicLong decodeErrors = new AtomicLong();
    final AtomicLong listenerErrors = new AtomicLong();
    final AtomicLong filtered = new AtomicLong();
    volatile long[] kernel = new long[KernelMaps.STAT_MAX];

    public long recordsRead() {
        return recordsRead.get();
    }

    public long decodeErrors() {
        return decodeErrors.get();
    }

    public long listenerErrors() {
        return listenerErrors.get();
    }

    /** Events not passed on: out of the namespace scope. */
    public long filtered() {
        return filtered.get();
    }

    /** Records lost in the kernel because the ring buffer was full. */
    public long ringBufferLost() {
        return kernel[KernelMaps.STAT_RINGBUF_LOST];
    }

    /** One line for logs: what was read, lost, capped and untracked. */
    public String summary() {
        return String.format("records read %d, undecodable %d, out of namespace scope %d, lost in the kernel %d,"
                        + " packet events over the cap %d, error events over the cap %d, rx untracked %d,"
                        + " tx untracked %d, connection map full %d, histogram map full %d", recordsRead(),
                decodeErrors(), filtered(), kernelStat(KernelMaps.STAT_RINGBUF_LOST),
                kernelStat(KernelMaps.STAT_SAMPLE_CAPPED), kernelStat(KernelMaps.STAT_ERR_CAPPED),
                kernelStat(KernelMaps.STAT_RX_UNTRACKED), kernelStat(KernelMaps.STAT_TX_UNTRACKED),
                kernelStat(KernelMaps.STAT_CONN_FULL), kernelStat(KernelMaps.STAT_HIST_FULL));
    }

    /** Kernel-side statistics by enum nw_stat index, as of the last poll. */
    public long kernelStat(int index) {
        long[] k = kernel;
        return index < k.length ? k[index] : 0;
    }
}
