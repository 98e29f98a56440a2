package io.netwatcher.anomaly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Layer;
import io.netwatcher.event.LayerHistogram;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The detector over synthetic per-interval histograms: what is flagged, what is not, and its bounds. */
class LatencyAnomaliesTest {
    private static final long INTERVAL = 1_000_000_000L;
    private static final long CG = 4242;

    private static AnomalyConfig config(int warmup, long minSamples, long minRiseNs, int maxSeries) {
        return new AnomalyConfig(true, AnomalyConfig.DEFAULT_SENSITIVITY, warmup, minSamples, minRiseNs, maxSeries);
    }

    /** An interval's histogram: {@code n} packets spread evenly over the slots of the values given (ns). */
    private static LayerHistogram hist(long cgroup, Layer layer, long n, long... ns) {
        long[] slots = new long[LayerHistogram.SLOTS];
        long sum = 0;
        for (int i = 0; i < n; i++) {
            long v = ns[i % ns.length];
            slots[LayerHistogram.slotOf(v)]++;
            sum += v;
        }
        return new LayerHistogram(cgroup, layer.direction() == null ? Direction.TX : layer.direction(), layer, n, sum,
                slots);
    }

    /** Feeds one interval per histogram; returns what was flagged, by interval index. */
    private static List<Integer> feed(LatencyAnomalies d, List<LayerHistogram> intervals, List<AnomalyEvent> out) {
        List<Integer> flagged = new ArrayList<>();
        for (int i = 0; i < intervals.size(); i++) {
            Optional<AnomalyEvent> a = d.observe(intervals.get(i), (i + 1) * INTERVAL, INTERVAL);
            if (a.isPresent()) {
                flagged.add(i);
                out.add(a.get());
            }
        }
        return flagged;
    }

    @Test
    void aSteadyButJitteryLayerIsNeverFlagged() {
        LatencyAnomalies d = new LatencyAnomalies(config(12, 100, 0, 100));
        Random r = new Random(7);
        List<LayerHistogram> intervals = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            // Most packets around 20 µs; the tail (the p99) wanders over a factor of 2 to 3 from interval to
            // interval, as a busy node's does.
            long tail = 40_000 + r.nextInt(80_000);
            long n = 100 + r.nextInt(900);
            long[] values = new long[100];
            Arrays.fill(values, 20_000);
            values[0] = tail;
            values[1] = tail;
            intervals.add(hist(CG, Layer.RX_SOCKET, n, values));
        }
        List<AnomalyEvent> out = new ArrayList<>();
        assertEquals(List.of(), feed(d, intervals, out), "flagged: " + out);
    }

    @Test
    void aStepIsFlaggedWithTheUsualAndTheObservedP99() {
        LatencyAnomalies d = new LatencyAnomalies(config(12, 100, 100_000, 100));
        List<LayerHistogram> intervals = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            intervals.add(hist(CG, Layer.TX_QDISC, 500, 3_000, 5_000));
        }
        intervals.add(hist(CG, Layer.TX_QDISC, 500, 20_000_000)); // 20 ms
        List<AnomalyEvent> out = new ArrayList<>();
        assertEquals(List.of(30), feed(d, intervals, out));
        AnomalyEvent a = out.get(0);
        assertEquals(CG, a.cgroupId());
        assertEquals(Direction.TX, a.direction());
        assertEquals(Layer.TX_QDISC, a.layer());
        assertEquals(500, a.count());
        assertEquals(30, a.intervals());
        assertEquals(31 * INTERVAL, a.timeNs());
        long usual = hist(CG, Layer.TX_QDISC, 500, 3_000, 5_000).quantileNs(0.99);
        assertTrue(Math.abs(a.expectedNs() - usual) <= usual / 100, "expected " + a.expectedNs() + " ~ " + usual);
        assertEquals(hist(CG, Layer.TX_QDISC, 500, 20_000_000).quantileNs(0.99), a.observedNs());
        assertTrue(a.bandNs() >= usual + 100_000 && a.bandNs() < a.observedNs(), "band " + a.bandNs());
    }

    @Test
    void aLastingStepBecomesTheUsualAndAReturnIsNotFlagged() {
        LatencyAnomalies d = new LatencyAnomalies(config(12, 100, 0, 100));
        List<LayerHistogram> intervals = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            intervals.add(hist(CG, Layer.RX_TCP, 200, 10_000));
        }
        for (int i = 0; i < 40; i++) {
            intervals.add(hist(CG, Layer.RX_TCP, 200, 10_000_000));
        }
        for (int i = 0; i < 10; i++) {
            intervals.add(hist(CG, Layer.RX_TCP, 200, 10_000)); // faster again: good news, not an anomaly
        }
        List<AnomalyEvent> out = new ArrayList<>();
        List<Integer> flagged = feed(d, intervals, out);
        assertTrue(flagged.contains(20), "the step: " + flagged);
        assertTrue(flagged.stream().allMatch(i -> i >= 20 && i < 28), "then it is the usual: " + flagged);
    }

    @Test
    void nothingIsFlaggedDuringTheWarmUp() {
        LatencyAnomalies d = new LatencyAnomalies(config(12, 100, 0, 100));
        List<LayerHistogram> intervals = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            intervals.add(hist(CG, Layer.TX_TCP_IP, 200, 2_000));
        }
        intervals.add(hist(CG, Layer.TX_TCP_IP, 200, 50_000_000)); // a spike in the 6th interval: still learning
        for (int i = 6; i < 20; i++) {
            intervals.add(hist(CG, Layer.TX_TCP_IP, 200, 2_000));
        }
        intervals.add(hist(CG, Layer.TX_TCP_IP, 200, 50_000_000)); // the same spike once warm
        List<AnomalyEvent> out = new ArrayList<>();
        assertEquals(List.of(20), feed(d, intervals, out));
        assertEquals(20, out.get(0).intervals());
    }

    @Test
    void intervalsWithTooFewPacketsNeitherCountNorLearn() {
        LatencyAnomalies d = new LatencyAnomalies(config(3, 100, 0, 100));
        List<LayerHistogram> intervals = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            intervals.add(hist(CG, Layer.RX_IP, 99, 1_000)); // below the minimum: no series yet
        }
        intervals.add(hist(CG, Layer.RX_IP, 99, 80_000_000));
        assertEquals(List.of(), feed(d, intervals, new ArrayList<>()));
        assertEquals(0, d.series(), "nothing followed from intervals too thin for a p99");
        List<LayerHistogram> more = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            more.add(hist(CG, Layer.RX_IP, 100, 1_000));
        }
        more.add(hist(CG, Layer.RX_IP, 50, 80_000_000)); // thin: skipped
        more.add(hist(CG, Layer.RX_IP, 100, 80_000_000));
        List<AnomalyEvent> out = new ArrayList<>();
        assertEquals(List.of(4), feed(d, more, out));
        assertEquals(3, out.get(0).intervals(), "the thin intervals were not learned from");
    }

    @Test
    void aRiseBelowTheFloorIsNotAnAnomaly() {
        List<LayerHistogram> intervals = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            intervals.add(hist(CG, Layer.TX_DRIVER, 300, 1_500));
        }
        intervals.add(hist(CG, Layer.TX_DRIVER, 300, 40_000)); // 20 times the usual, but 40 µs
        assertEquals(List.of(), feed(new LatencyAnomalies(config(12, 100, 100_000, 100)), intervals,
                new ArrayList<>()), "below the 100 µs floor");
        assertEquals(List.of(20), feed(new LatencyAnomalies(config(12, 100, 0, 100)), intervals, new ArrayList<>()),
                "without a floor");
    }

    @Test
    void theSeriesAreCappedAndEvictionsCounted() {
        LatencyAnomalies d = new LatencyAnomalies(config(2, 1, 0, 3));
        for (int round = 0; round < 3; round++) {
            for (long cg = 1; cg <= 3; cg++) {
                d.observe(hist(cg, Layer.TOTAL, 10, 5_000), round, INTERVAL);
            }
        }
        assertEquals(3, d.series());
        assertEquals(0, d.evicted());
        d.observe(hist(4, Layer.TOTAL, 10, 5_000), 10, INTERVAL); // cgroup 1 was updated least recently
        d.observe(hist(5, Layer.TOTAL, 10, 5_000), 11, INTERVAL);
        assertEquals(3, d.series(), "never more than the cap");
        assertEquals(2, d.evicted());
        // Cgroup 1 comes back: it warms up again, its step is not flagged at once.
        assertTrue(d.observe(hist(1, Layer.TOTAL, 10, 50_000_000), 12, INTERVAL).isEmpty(), "warming up again");
        assertEquals(3, d.evicted());
        // Cgroup 5 was kept: still warm.
        assertTrue(d.observe(hist(5, Layer.TOTAL, 10, 5_000), 13, INTERVAL).isEmpty());
        assertTrue(d.observe(hist(5, Layer.TOTAL, 10, 50_000_000), 14, INTERVAL).isPresent());
    }

    @Test
    void seriesOfGoneCgroupsAreForgottenWithoutEviction() {
        LatencyAnomalies d = new LatencyAnomalies(config(2, 1, 0, 10));
        LayerHistogram a = hist(1, Layer.RX_LINK, 10, 1_000);
        LayerHistogram b = hist(2, Layer.RX_LINK, 10, 1_000);
        d.observe(a, 1, INTERVAL);
        d.observe(b, 1, INTERVAL);
        d.retain(Set.of(a.key()));
        assertEquals(1, d.series());
        assertEquals(0, d.evicted());
    }

    @Test
    void offFollowsAndFlagsNothing() {
        LatencyAnomalies d = new LatencyAnomalies(config(1, 1, 0, 10).withEnabled(false));
        d.observe(hist(CG, Layer.RX_LINK, 10, 1_000), 1, INTERVAL);
        d.observe(hist(CG, Layer.RX_LINK, 10, 1_000), 2, INTERVAL);
        assertTrue(d.observe(hist(CG, Layer.RX_LINK, 10, 90_000_000), 3, INTERVAL).isEmpty());
        assertEquals(0, d.series());
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AnomalyConfig(true, 0, 12, 100, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyConfig(true, Double.NaN, 12, 100, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyConfig(true, 4, 0, 100, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyConfig(true, 4, 12, 0, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyConfig(true, 4, 12, 100, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyConfig(true, 4, 12, 100, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyEvent(1, 1, 1, Direction.RX, Layer.TX_QDISC, 1,
                10, 1, 5, 1), "a transmit layer on a receive series");
        assertThrows(IllegalArgumentException.class, () -> new AnomalyEvent(1, 1, 1, Direction.TX, Layer.TX_QDISC, 1,
                5, 1, 5, 1), "not above its band");
    }
}
