package io.netwatcher.anomaly;

import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.LayerHistogram;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Flags intervals whose layer latency left its usual band (the upstream {@code net_watcher -L}, per
 * cgroup and layer instead of per packet). Each series (cgroup, direction, layer) keeps an
 * exponentially weighted mean and mean deviation of its intervals' p99, as TCP keeps srtt and
 * rttvar (RFC 6298: gains 1/8 and 1/4), but of log2(p99): latency is skewed and the kernel's
 * histogram resolves ratios (log2 slots), so "4 times the usual" means the same for a 5 µs and a
 * 50 ms layer. An interval is flagged when its p99 is above
 * {@code max(usual x 2^max(K x deviation, 1), usual + minRise)}: K deviations, at least one log2 slot
 * (the histogram cannot tell apart less), and at least the configured rise (a few µs more in a fast
 * layer is an interrupt, not an incident). Every interval with enough packets updates the series,
 * flagged or not, so a lasting step is flagged in its first intervals and then becomes the usual.
 * During the warm-up the weights are 1/n (the plain mean and mean deviation of what was seen).
 * At most {@code maxSeries} series are kept; beyond it the least recently updated one is evicted and
 * counted. Not thread-safe but for {@link #series()} and {@link #evicted()}: one poller feeds it.
 */
public final class LatencyAnomalies {
    /** Weight of a new interval in the mean (RFC 6298's alpha) and in the deviation (beta). */
    static final double MEAN_GAIN = 1.0 / 8;
    static final double DEVIATION_GAIN = 1.0 / 4;
    /** The narrowest band, in log2 units: one histogram slot. */
    static final double MIN_BAND_LOG2 = 1.0;
    private static final double QUANTILE = 0.99;

    private final AnomalyConfig config;
    private final Map<LayerHistogram.Key, Series> series = new LinkedHashMap<>(64, 0.75f, true);
    private final AtomicLong evicted = new AtomicLong();
    private volatile int size;

    /** One series' state: log2(p99) mean and mean deviation, and how many intervals were learned from. */
    private static final class Series {
        double mean;
        double deviation;
        int intervals;

        void learn(double x) {
            if (intervals < Integer.MAX_VALUE) {
                intervals++;
            }
            if (intervals == 1) {
                mean = x;
                deviation = 0;
                return;
            }
            double err = x - mean;
            mean += Math.max(MEAN_GAIN, 1.0 / intervals) * err;
            deviation += Math.max(DEVIATION_GAIN, 1.0 / intervals) * (Math.abs(err) - deviation);
        }
    }

    public LatencyAnomalies(AnomalyConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public AnomalyConfig config() {
        return config;
    }

    /**
     * One interval of one series: {@code delta} is its histogram over the interval (the cumulative
     * reading minus the last one). Returns the anomaly when its p99 left the band; learns from it
     * either way. Intervals with fewer than the minimum packets are ignored.
     */
    public Optional<AnomalyEvent> observe(LayerHistogram delta, long timeNs, long intervalNs) {
        if (!config.enabled() || delta.count() < config.minSamples()) {
            return Optional.empty();
        }
        long p99 = delta.quantileNs(QUANTILE);
        double x = log2(p99);
        LayerHistogram.Key key = delta.key();
        Series s = series.get(key);
        if (s == null) {
            s = new Series();
            admit(key, s);
        }
        AnomalyEvent out = null;
        if (s.intervals >= config.warmup()) {
            double expected = Math.pow(2, s.mean);
            double edge = Math.max(Math.pow(2, s.mean + Math.max(config.sensitivity() * s.deviation, MIN_BAND_LOG2)),
                    expected + config.minRiseNs());
            long band = (long) Math.ceil(Math.min(edge, Long.MAX_VALUE));
            if (p99 > band) {
                out = new AnomalyEvent(timeNs, intervalNs, delta.cgroupId(), delta.direction(), delta.layer(),
                        delta.count(), p99, Math.round(expected), band, s.intervals);
            }
        }
        s.learn(x);
        return Optional.ofNullable(out);
    }

    private void admit(LayerHistogram.Key key, Series s) {
        if (series.size() >= config.maxSeries()) {
            Iterator<LayerHistogram.Key> eldest = series.keySet().iterator();
            eldest.next();
            eldest.remove();
            evicted.incrementAndGet();
        }
        series.put(key, s);
        size = series.size();
    }

    /** Forgets the series not in {@code live} (their cgroup's histograms are gone): not an eviction. */
    public void retain(Set<LayerHistogram.Key> live) {
        series.keySet().retainAll(live);
        size = series.size();
    }

    /** Series followed now. */
    public int series() {
        return size;
    }

    /** Series dropped to make room for new ones (they start a new warm-up if they come back). */
    public long evicted() {
        return evicted.get();
    }

    private static double log2(long ns) {
        return Math.log(Math.max(1, ns)) / Math.log(2);
    }
}
