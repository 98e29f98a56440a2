package io.netwatcher.anomaly;

import io.netwatcher.event.Direction;
import io.netwatcher.event.Layer;
import io.netwatcher.event.LayerHistogram;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The detector's cost per interval: {@value #SERIES} series (the default --max-series; 250 cgroups
 * x 8 layers), each interval's histogram with 1,000 packets spread over 5 buckets, every series
 * warm. One operation = one interval of every series: the p99 of each histogram, the band check,
 * the update.
 *
 * <pre>bench/anomaly.sh</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AnomalyBenchmark {
    static final int SERIES = 2000;
    private static final Layer[] LAYERS = {Layer.RX_LINK, Layer.RX_IP, Layer.RX_TCP, Layer.RX_SOCKET, Layer.TOTAL,
        Layer.TX_TCP_IP, Layer.TX_QDISC, Layer.TX_DRIVER};
    private static final int INTERVALS = 16;

    private LatencyAnomalies detector;
    /** A few intervals' worth of histograms per series, cycled so the p99 varies a little. */
    private LayerHistogram[][] intervals;
    private int round;

    @Setup
    public void setUp() {
        detector = new LatencyAnomalies(new AnomalyConfig(true, 4, 2, 100, 100_000, SERIES));
        Random r = new Random(1);
        intervals = new LayerHistogram[INTERVALS][SERIES];
        for (int t = 0; t < INTERVALS; t++) {
            for (int s = 0; s < SERIES; s++) {
                Layer layer = LAYERS[s % LAYERS.length];
                Direction d = layer.direction() == null ? Direction.RX : layer.direction();
                long[] slots = new long[LayerHistogram.SLOTS];
                int base = 10 + r.nextInt(3);
                slots[base] = 600;
                slots[base + 1] = 300;
                slots[base + 2] = 80;
                slots[base + 3] = 15;
                slots[base + 4] = 5;
                intervals[t][s] = new LayerHistogram(1000 + s / LAYERS.length, d, layer, 1000, 1000L << base, slots);
            }
        }
        for (int t = 0; t < INTERVALS; t++) {
            interval();
        }
    }

    /** One interval of every series; returns the anomalies flagged (none: every series is steady). */
    @Benchmark
    public int interval() {
        LayerHistogram[] now = intervals[round++ % INTERVALS];
        int flagged = 0;
        for (LayerHistogram h : now) {
            if (detector.observe(h, round, 1_000_000_000L).isPresent()) {
                flagged++;
            }
        }
        return flagged;
    }
}
