package io.netwatcher.agent;

import io.netwatcher.kernel.KernelStat;
import io.netwatcher.kernel.KernelStats;
import java.util.concurrent.atomic.AtomicLong;

/** The agent's own counters: records read from the ring buffer, decode errors, kernel-side losses. */
public final class AgentStats {
    final AtomicLong recordsRead = new AtomicLong();
    final AtomicLong decodeErrors = new AtomicLong();
    final AtomicLong listenerErrors = new AtomicLong();
    final AtomicLong filtered = new AtomicLong();
    volatile KernelStats kernel = KernelStats.NONE;

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
        return kernelStat(KernelStat.RINGBUF_LOST);
    }

    /** One line for logs: what was read, lost, capped and untracked. */
    public String summary() {
        return String.format("records read %d, undecodable %d, out of namespace scope %d, lost in the kernel %d,"
                        + " packet events over the cap %d, error events over the cap %d, rx untracked %d, rx duplicate %d,"
                        + " tx untracked %d, connection map full %d, histogram map full %d, counter map full %d,"
                        + " connect count map full %d",
                recordsRead(),
                decodeErrors(), filtered(), kernelStat(KernelStat.RINGBUF_LOST),
                kernelStat(KernelStat.SAMPLE_CAPPED), kernelStat(KernelStat.ERR_CAPPED),
                kernelStat(KernelStat.RX_UNTRACKED), kernelStat(KernelStat.RX_DUPLICATE),
                kernelStat(KernelStat.TX_UNTRACKED), kernelStat(KernelStat.CONN_FULL), kernelStat(KernelStat.HIST_FULL),
                kernelStat(KernelStat.COUNTERS_FULL), kernelStat(KernelStat.CONNECTS_FULL));
    }

    /** A kernel-side statistic as of the last poll. */
    public long kernelStat(KernelStat stat) {
        return kernel.get(stat);
    }
}
