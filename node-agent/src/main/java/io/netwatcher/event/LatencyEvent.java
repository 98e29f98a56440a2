package io.netwatcher.event;

/**
 * A per-interval summary of one in-kernel latency histogram (a cgroup's time in one layer),
 * for standalone users who want the aggregate the metrics carry.
 */
public record LatencyEvent(long timeNs, long intervalNs, LayerHistogram histogram) implements CgroupSummary {
    @Override
    public long cgroupId() {
        return histogram.cgroupId();
    }
}
