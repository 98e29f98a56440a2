package io.netwatcher.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LayerHistogramTest {
    /** bpf/hist.bpf.h nw_log2, transcribed: the slot the kernel side puts a value in. */
    static int bpfSlot(long v) {
        long r = (Long.compareUnsigned(v, 0xFFFFFFFFL) > 0 ? 1 : 0) << 5;
        v >>>= r;
        long shift = (v > 0xFFFF ? 1 : 0) << 4;
        v >>>= shift;
        r |= shift;
        shift = (v > 0xFF ? 1 : 0) << 3;
        v >>>= shift;
        r |= shift;
        shift = (v > 0xF ? 1 : 0) << 2;
        v >>>= shift;
        r |= shift;
        shift = (v > 0x3 ? 1 : 0) << 1;
        v >>>= shift;
        r |= shift;
        r |= (v >>> 1);
        return (int) Math.min(r, LayerHistogram.SLOTS - 1);
    }

    @Test
    void slotsAgreeWithTheKernelSideBucketing() {
        Random rnd = new Random(1);
        for (int i = 0; i < 100_000; i++) {
            long v = rnd.nextLong() >>> rnd.nextInt(64);
            assertEquals(bpfSlot(v), LayerHistogram.slotOf(v), "value " + v);
        }
        for (int e = 0; e < 63; e++) {
            long v = 1L << e;
            assertEquals(bpfSlot(v), LayerHistogram.slotOf(v));
            assertEquals(bpfSlot(v - 1), LayerHistogram.slotOf(v - 1));
        }
        assertEquals(0, LayerHistogram.slotOf(0));
        assertEquals(31, LayerHistogram.slotOf(Long.MAX_VALUE), "the last slot holds everything above");
    }

    @Test
    void bucketBoundsContainTheirValues() {
        for (long v : new long[] {1, 2, 3, 1000, 65_535, 1_000_000, 2_000_000_000L}) {
            int s = LayerHistogram.slotOf(v);
            assertTrue(LayerHistogram.lowerBoundNs(s) <= v && v < LayerHistogram.upperBoundNs(s), "slot of " + v);
        }
    }

    private static LayerHistogram of(long... values) {
        long[] slots = new long[LayerHistogram.SLOTS];
        long sum = 0;
        for (long v : values) {
            slots[LayerHistogram.slotOf(v)]++;
            sum += v;
        }
        return new LayerHistogram(1, Direction.RX, Layer.RX_LINK, values.length, sum, slots);
    }

    @Test
    void quantilesFallInTheRightBucket() {
        long[] values = new long[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i < 900 ? 1500 : 100_000; // p50 in [1024, 2048), p99 in [65536, 131072)
        }
        LayerHistogram h = of(values);
        long p50 = h.quantileNs(0.5);
        long p99 = h.quantileNs(0.99);
        assertTrue(p50 >= 1024 && p50 < 2048, "p50 " + p50);
        assertTrue(p99 >= 65536 && p99 <= 131072, "p99 " + p99);
        assertEquals(0, of().quantileNs(0.5));
    }

    @Test
    void minusGivesTheInterval() {
        LayerHistogram a = of(10, 1000);
        LayerHistogram b = of(10, 1000, 1000, 5000);
        LayerHistogram d = b.minus(a);
        assertEquals(2, d.count());
        assertEquals(6000, d.sumNs());
        assertEquals(1, d.slots()[LayerHistogram.slotOf(1000)]);
        assertEquals(0, d.slots()[LayerHistogram.slotOf(10)]);
        assertEquals("link", d.layerLabel());
    }
}
