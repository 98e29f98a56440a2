package io.netwatcher.event;

import java.util.Objects;

/**
 * A per-interval summary of one in-kernel netfilter histogram (--netfilter-times): the time the
 * packets of a cgroup (else of a network namespace) spent in one hook of one family.
 */
public record NetfilterEvent(long timeNs, long intervalNs, NetfilterHistogram histogram) implements CgroupSummary {
    public NetfilterEvent {
        Objects.requireNonNull(histogram, "histogram");
    }

    /** The packets' socket cgroup; 0 for packets without a full socket (their namespace's pod is used). */
    @Override
    public long cgroupId() {
        return histogram.cgroupId();
    }
}
