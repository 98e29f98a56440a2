package io.netwatcher.event;

/**
 * A per-interval summary of one in-kernel latency histogram (a cgroup's time in one layer),
 * for standalone users who want the aggregate the metrics carry.
 */
public record LatencyEvent(long timeNs, long intervalNs, LayerHistogram histogram) implements Event {
    @Override
    public long cookie() {
        return 0;
    }

    @Override
    public long cgroupId() {
        return histogram.cgroupId();
    }

    @Override
    public int pid() {
        return 0;
    }

    @Override
    public String comm() {
        return "";
    }

    @Override
    public Tuple tuple() {
        return Tuple.NONE;
    }
}
