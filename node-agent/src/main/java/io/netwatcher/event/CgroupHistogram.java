package io.netwatcher.event;

/**
 * A cgroup's in-kernel histogram of one latency (struct nw_hist summed over CPUs): connect latency,
 * a client's SYN_SENT -> ESTABLISHED, or DNS latency, a query sent to its response received. Slot i
 * counts values in [2^i, 2^(i+1)) ns, as {@link LayerHistogram}'s.
 */
public record CgroupHistogram(long cgroupId, long count, long sumNs, long[] slots) {
    public CgroupHistogram {
        if (slots.length != LayerHistogram.SLOTS) {
            throw new IllegalArgumentException("slots must have " + LayerHistogram.SLOTS + " entries");
        }
        if (count < 0 || sumNs < 0) {
            throw new IllegalArgumentException("count and sum must be >= 0");
        }
    }
}
