package io.netwatcher.event;

import java.util.Objects;

/**
 * The in-kernel histogram of the time packets spent in one netfilter hook (between its first and
 * last priority), per socket cgroup (0: no full socket), network namespace and family (struct
 * nw_hist summed over CPUs). Slot i counts values in [2^i, 2^(i+1)) ns, as {@link LayerHistogram}'s.
 *
 * @param ipv6 the hook of the IPv6 family (else IPv4)
 */
public record NetfilterHistogram(long cgroupId, long netns, boolean ipv6, NetfilterHook hook, long count, long sumNs,
                                 long[] slots) {
    public NetfilterHistogram {
        Objects.requireNonNull(hook, "hook");
        if (slots.length != LayerHistogram.SLOTS) {
            throw new IllegalArgumentException("slots must have " + LayerHistogram.SLOTS + " entries");
        }
        if (count < 0 || sumNs < 0) {
            throw new IllegalArgumentException("count and sum must be >= 0");
        }
    }

    /** Estimated q-quantile (0..1) in ns, interpolating linearly inside the slot (as {@link LayerHistogram}'s). */
    public long quantileNs(double q) {
        return count == 0 ? 0 : LayerHistogram.quantileNs(slots, q);
    }

    /**
     * This histogram minus an earlier reading of the same key (what was counted in between); itself
     * for a first reading (null) or when the kernel entry was evicted and counts again from zero.
     */
    public NetfilterHistogram minus(NetfilterHistogram earlier) {
        if (earlier == null || count < earlier.count) {
            return this;
        }
        return new NetfilterHistogram(cgroupId, netns, ipv6, hook, count - earlier.count,
                Math.max(0, sumNs - earlier.sumNs), LayerHistogram.minus(slots, earlier.slots));
    }

    /** Mean time in ns (0 without packets). */
    public long meanNs() {
        return count == 0 ? 0 : sumNs / count;
    }

    public Key key() {
        return new Key(cgroupId, netns, ipv6, hook);
    }

    /** What identifies one kernel histogram. */
    public record Key(long cgroupId, long netns, boolean ipv6, NetfilterHook hook) {
    }
}
