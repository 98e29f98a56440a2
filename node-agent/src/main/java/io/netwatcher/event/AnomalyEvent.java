package io.netwatcher.event;

import java.util.Objects;

/**
 * A cgroup's layer latency left its usual band in one interval: the interval's p99 (from the
 * per-interval delta of the in-kernel histogram) above the band an exponentially weighted mean and
 * deviation of the earlier intervals' p99 drew.
 *
 * @param timeNs      when the interval ended (CLOCK_MONOTONIC ns)
 * @param intervalNs  the interval's length
 * @param cgroupId    the cgroup (a pod's container, a host process's cgroup)
 * @param direction   rx or tx
 * @param layer       the layer ({@link Layer#TOTAL} for the whole path)
 * @param count       packets timed in the interval
 * @param observedNs  the interval's p99
 * @param expectedNs  the usual p99: the weighted mean, in log2 space, of the earlier intervals' p99
 * @param bandNs      the upper edge of the band the p99 left
 * @param intervals   intervals the series had learned from before this one
 */
public record AnomalyEvent(long timeNs, long intervalNs, long cgroupId, Direction direction, Layer layer, long count,
                           long observedNs, long expectedNs, long bandNs, int intervals) implements CgroupSummary {
    public AnomalyEvent {
        Objects.requireNonNull(direction, "direction");
        if (layer == null || (layer.direction() != null && layer.direction() != direction)) {
            throw new IllegalArgumentException("layer " + layer + " is not one of direction " + direction);
        }
        if (intervalNs < 0 || count < 1 || intervals < 1) {
            throw new IllegalArgumentException("intervalNs must be >= 0, count and intervals >= 1");
        }
        if (expectedNs < 0 || bandNs < expectedNs || observedNs <= bandNs) {
            throw new IllegalArgumentException("an anomaly is above its band: observed " + observedNs
                    + " ns, band " + bandNs + " ns, expected " + expectedNs + " ns");
        }
    }
}
