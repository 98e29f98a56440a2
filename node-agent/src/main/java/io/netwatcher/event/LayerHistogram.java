package io.netwatcher.event;

/**
 * One in-kernel latency histogram (struct nw_hist summed over CPUs) for a cgroup, direction and
 * layer ({@link Layer#TOTAL} for first-to-last boundary). Slot i counts values in
 * [2^i, 2^(i+1)) ns; slot 0 also holds 0 ns and the last slot everything above.
 */
public record LayerHistogram(long cgroupId, Direction direction, Layer layer, long count, long sumNs, long[] slots) {
    /** log2 slots of a histogram (NW_HIST_SLOTS): the last one holds everything from 2^31 ns. */
    public static final int SLOTS = 32;

    public LayerHistogram {
        if (slots.length != SLOTS) {
            throw new IllegalArgumentException("slots must have " + SLOTS + " entries");
        }
        if (layer == null || (layer.direction() != null && layer.direction() != direction)) {
            throw new IllegalArgumentException("layer " + layer + " is not one of direction " + direction);
        }
    }

    /** The layer's name, "total" for the whole path. */
    public String layerLabel() {
        return layer.label();
    }

    /** Upper bound of slot i in ns: 2^(i+1) (the last slot is open-ended). */
    public static long upperBoundNs(int slot) {
        return 1L << (slot + 1);
    }

    /** Lower bound of slot i in ns. */
    public static long lowerBoundNs(int slot) {
        return slot == 0 ? 0 : 1L << slot;
    }

    /** The slot a value falls in, as the BPF side computes it. */
    public static int slotOf(long ns) {
        if (ns < 0) {
            return SLOTS - 1; // a u64 above 2^63 on the kernel side
        }
        if (ns <= 1) {
            return 0;
        }
        int s = 63 - Long.numberOfLeadingZeros(ns);
        return Math.min(s, SLOTS - 1);
    }

    /** Estimated q-quantile (0..1) in ns, interpolating linearly inside the slot. */
    public long quantileNs(double q) {
        return count == 0 ? 0 : quantileNs(slots, q);
    }

    /** The q-quantile of log2 slots of ns (of this layout), interpolating linearly inside the slot. */
    static long quantileNs(long[] slots, double q) {
        long total = 0;
        for (long s : slots) {
            total += s;
        }
        double rank = q * total;
        long seen = 0;
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == 0) {
                continue;
            }
            if (seen + slots[i] >= rank) {
                double frac = slots[i] == 0 ? 0 : (rank - seen) / slots[i];
                long lo = lowerBoundNs(i);
                long hi = upperBoundNs(i);
                return lo + Math.round(frac * (hi - lo));
            }
            seen += slots[i];
        }
        return upperBoundNs(slots.length - 1);
    }

    /** This histogram minus an earlier reading of the same key (for per-interval views). */
    public LayerHistogram minus(LayerHistogram earlier) {
        if (earlier == null || count < earlier.count) {
            return this; // first reading, or the kernel entry was deleted and counts again from zero
        }
        return new LayerHistogram(cgroupId, direction, layer, Math.max(0, count - earlier.count),
                Math.max(0, sumNs - earlier.sumNs), minus(slots, earlier.slots));
    }

    /** Slot by slot, what a later reading of log2 slots counted since an earlier one (never below 0). */
    static long[] minus(long[] later, long[] earlier) {
        long[] d = new long[later.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.max(0, later[i] - earlier[i]);
        }
        return d;
    }

    public Key key() {
        return new Key(cgroupId, direction, layer);
    }

    public record Key(long cgroupId, Direction direction, Layer layer) {
    }
}
