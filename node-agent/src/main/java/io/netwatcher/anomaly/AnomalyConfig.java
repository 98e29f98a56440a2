package io.netwatcher.anomaly;

/**
 * How latency anomalies are detected ({@link LatencyAnomalies}).
 *
 * @param enabled     detect at all ({@code --no-anomalies} turns it off)
 * @param sensitivity K: the band's upper edge is the usual p99 times 2^(K x deviation), deviation in
 *                    log2 units (a larger K flags fewer intervals)
 * @param warmup      intervals a series learns from before it can be flagged
 * @param minSamples  packets an interval needs for its p99 to count (fewer: the interval is skipped)
 * @param minRiseNs   an interval is flagged only if its p99 is also this much above the usual p99
 * @param maxSeries   series (cgroup, direction, layer) followed at once; beyond it the least recently
 *                    updated one is evicted (counted)
 */
public record AnomalyConfig(boolean enabled, double sensitivity, int warmup, long minSamples, long minRiseNs,
                            int maxSeries) {
    public static final double DEFAULT_SENSITIVITY = 4;
    public static final int DEFAULT_WARMUP = 12;
    public static final long DEFAULT_MIN_SAMPLES = 100;
    public static final long DEFAULT_MIN_RISE_NS = 100_000;
    public static final int DEFAULT_MAX_SERIES = 2000;
    public static final double MAX_SENSITIVITY = 100;
    public static final int MAX_WARMUP = 100_000;
    public static final long MAX_MIN_SAMPLES = 1_000_000_000L;
    /** An hour: above it nothing short of a stall would be flagged. */
    public static final long MAX_MIN_RISE_NS = 3_600_000_000_000L;

    public AnomalyConfig {
        if (!(sensitivity > 0) || sensitivity > MAX_SENSITIVITY) {
            throw new IllegalArgumentException("sensitivity must be > 0 and <= " + MAX_SENSITIVITY);
        }
        if (warmup < 1 || warmup > MAX_WARMUP) {
            throw new IllegalArgumentException("warmup must be 1-" + MAX_WARMUP + " intervals");
        }
        if (minSamples < 1 || minSamples > MAX_MIN_SAMPLES) {
            throw new IllegalArgumentException("minSamples must be 1-" + MAX_MIN_SAMPLES);
        }
        if (minRiseNs < 0 || minRiseNs > MAX_MIN_RISE_NS) {
            throw new IllegalArgumentException("minRiseNs must be 0-" + MAX_MIN_RISE_NS);
        }
        if (maxSeries < 1) {
            throw new IllegalArgumentException("maxSeries must be >= 1");
        }
    }

    /** On, with the command line's defaults. */
    public static AnomalyConfig defaults() {
        return new AnomalyConfig(true, DEFAULT_SENSITIVITY, DEFAULT_WARMUP, DEFAULT_MIN_SAMPLES, DEFAULT_MIN_RISE_NS,
                DEFAULT_MAX_SERIES);
    }

    /** The same settings, on or off (off: nothing is followed, nothing flagged). */
    public AnomalyConfig withEnabled(boolean on) {
        return new AnomalyConfig(on, sensitivity, warmup, minSamples, minRiseNs, maxSeries);
    }
}
