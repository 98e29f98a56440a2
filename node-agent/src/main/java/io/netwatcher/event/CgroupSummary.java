package io.netwatcher.event;

/**
 * An event that sums up one interval of a cgroup's kernel aggregates (a histogram, a counter): no
 * socket and no process of its own.
 */
public sealed interface CgroupSummary extends Event permits LatencyEvent, AnomalyEvent, ConnectCountEvent,
        NetfilterEvent {
    @Override
    default long cookie() {
        return 0;
    }

    @Override
    default int pid() {
        return 0;
    }

    @Override
    default String comm() {
        return "";
    }

    @Override
    default Tuple tuple() {
        return Tuple.NONE;
    }
}
