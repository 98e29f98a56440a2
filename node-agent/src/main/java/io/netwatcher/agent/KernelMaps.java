package io.netwatcher.agent;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Layouts;
import io.netwatcher.event.LayerHistogram;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads the aggregate maps (histograms, counters, self-statistics), summing per-CPU values. */
public final class KernelMaps {
    private KernelMaps() {}

    /**
     * Every (cgroup, direction, layer) histogram of the per-CPU {@code hists} map (one value per
     * cgroup and direction holding all its layers); layers that never counted anything are left out.
     */
    public static List<LayerHistogram> histograms(BpfMap hists) {
        List<LayerHistogram> out = new ArrayList<>();
        hists.forEachChunk(e -> histograms(hists, e, out));
        return out;
    }

    private static void histograms(BpfMap hists, BpfMap.Entries e, List<LayerHistogram> out) {
        int stride = hists.valueStride();
        int cpus = hists.lookupSize() / stride;
        int histSize = Layouts.Hist.SIZE;
        ByteBuffer k = e.keys();
        ByteBuffer v = e.values();
        for (int i = 0; i < e.count(); i++) {
            int ko = e.keyOffset(i);
            int vo = e.valueOffset(i);
            long cgroup = k.getLong(ko + Layouts.HistKey.CGROUP_ID);
            Direction dir = Direction.of(k.get(ko + Layouts.HistKey.DIRECTION));
            for (int layer = 0; layer < Layouts.HIST_LAYERS; layer++) {
                int first = vo + Layouts.Hists.LAYER + layer * histSize;
                long count = 0;
                for (int c = 0; c < cpus; c++) {
                    count += v.getLong(first + c * stride + Layouts.Hist.COUNT);
                }
                if (count == 0) {
                    continue; // a layer this cgroup never used: no slots to sum
                }
                long sum = 0;
                long[] slots = new long[Layouts.HIST_SLOTS];
                for (int c = 0; c < cpus; c++) {
                    int base = first + c * stride;
                    sum += v.getLong(base + Layouts.Hist.SUM_NS);
                    for (int s = 0; s < slots.length; s++) {
                        slots[s] += v.getLong(base + Layouts.Hist.SLOTS + 8 * s);
                    }
                }
                out.add(new LayerHistogram(cgroup, dir, layer, count, sum, slots));
            }
        }
    }

    /** A counter key: what was counted (enum nw_counter_kind), its detail, and the cgroup. */
    public record CounterKey(long cgroupId, int kind, int detail) {
    }

    /** Every per-cgroup event counter, summed over CPUs. */
    public static Map<CounterKey, Long> counters(BpfMap counters) {
        Map<CounterKey, Long> out = new HashMap<>();
        counters.forEachChunk(e -> counters(counters, e, out));
        return out;
    }

    private static void counters(BpfMap counters, BpfMap.Entries e, Map<CounterKey, Long> out) {
        int stride = counters.valueStride();
        int cpus = counters.lookupSize() / stride;
        for (int i = 0; i < e.count(); i++) {
            int ko = e.keyOffset(i);
            long sum = 0;
            for (int c = 0; c < cpus; c++) {
                sum += e.values().getLong(e.valueOffset(i) + c * stride);
            }
            out.merge(new CounterKey(e.keys().getLong(ko + Layouts.CounterKey.CGROUP_ID),
                    Short.toUnsignedInt(e.keys().getShort(ko + Layouts.CounterKey.KIND)),
                    e.keys().getInt(ko + Layouts.CounterKey.DETAIL)), sum, Long::sum);
        }
    }

    /** The per-CPU {@code stats} array summed: index = enum nw_stat. */
    public static long[] stats(BpfMap stats) {
        int n = stats.maxEntries();
        long[] out = new long[n];
        byte[] key = new byte[4];
        byte[] value = new byte[stats.lookupSize()];
        int stride = stats.valueStride();
        ByteBuffer vb = ByteBuffer.wrap(value).order(java.nio.ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            ByteBuffer.wrap(key).order(java.nio.ByteOrder.nativeOrder()).putInt(0, i);
            if (stats.lookup(key, value)) {
                for (int c = 0; c < value.length / stride; c++) {
                    out[i] += vb.getLong(c * stride);
                }
            }
        }
        return out;
    }

    /** enum nw_stat */
    public static final int STAT_RINGBUF_LOST = 0;
    public static final int STAT_SAMPLE_CAPPED = 1;
    public static final int STAT_ERR_CAPPED = 2;
    public static final int STAT_RX_UNTRACKED = 3;
    public static final int STAT_TX_UNTRACKED = 4;
    public static final int STAT_CONN_FULL = 5;
    public static final int STAT_HIST_FULL = 6;
    public static final int STAT_RB_WAKEUP = 8;
    public static final int STAT_RX_PICKED = 9;
    public static final int STAT_TX_PICKED = 10;
    /** NW_STAT_MAX: entries of the stats array. */
    public static final int STAT_MAX = 16;

    /** enum nw_counter_kind */
    public static final int CNT_DROP = 1;
    public static final int CNT_RETRANS = 2;
    public static final int CNT_RESET = 3;
    public static final int CNT_BAD_CSUM = 4;
    public static final int CNT_RCVQ_FULL = 5;
    public static final int CNT_BUF_LIMIT = 6;
    public static final int CNT_CONN_OPEN = 7;
    public static final int CNT_CONN_CLOSE = 8;
    public static final int CNT_ICMP_SENT = 9;
}
