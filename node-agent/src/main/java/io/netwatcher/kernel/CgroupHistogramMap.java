package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.CgroupHistogram;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A map of per-CPU log2 latency histograms (struct nw_hist), one per cgroup (key: the cgroup id,
 * __u64): {@link #CONNECT} or {@link #DNS}.
 */
public final class CgroupHistogramMap {
    /** Connect latency, a client's SYN_SENT -> ESTABLISHED. */
    public static final String CONNECT = "connect_hists";
    /** DNS latency, a query sent to its response received. */
    public static final String DNS = "dns_hists";

    private final BpfMap map;
    private final MapFill fill;

    CgroupHistogramMap(BpfObject object, String name) {
        this.map = object.map(name);
        this.fill = new MapFill(map, KernelStat.HIST_FULL);
    }

    /** The map's fill level (self-metrics). */
    public MapView fill() {
        return fill;
    }

    /** Every cgroup's histogram, summed over CPUs. */
    public List<CgroupHistogram> read() {
        List<CgroupHistogram> out = new ArrayList<>();
        PerCpuValues cpus = new PerCpuValues(map);
        map.forEachChunk(e -> {
            ByteBuffer v = e.values();
            for (int i = 0; i < e.count(); i++) {
                int h = e.valueOffset(i);
                out.add(new CgroupHistogram(e.keys().getLong(e.keyOffset(i)), cpus.sum(v, h + Layouts.Hist.COUNT),
                        cpus.sum(v, h + Layouts.Hist.SUM_NS), cpus.slots(v, h)));
            }
        });
        return out;
    }

    /** Deletes a cgroup's histogram (the cgroup is gone). */
    public void forget(long cgroupId) {
        map.delete(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(0, cgroupId).array());
    }
}
