package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.DnsHistogram;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code dns_hists} map: per-CPU log2 histograms of DNS latency, query sent to response received (struct nw_hist), one
 * per cgroup (key: the cgroup id, __u64).
 */
public final class DnsHistogramMap implements MapView {
    public static final String NAME = "dns_hists";

    private final BpfMap map;

    DnsHistogramMap(BpfObject object) {
        this.map = object.map(NAME);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int entries() {
        return map.countEntries();
    }

    @Override
    public int capacity() {
        return map.maxEntries();
    }

    @Override
    public Optional<KernelStat> fullStat() {
        return Optional.of(KernelStat.HIST_FULL);
    }

    /** Every cgroup's histogram, summed over CPUs. */
    public List<DnsHistogram> read() {
        List<DnsHistogram> out = new ArrayList<>();
        int stride = map.valueStride();
        int cpus = map.lookupSize() / stride;
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            ByteBuffer v = e.values();
            for (int i = 0; i < e.count(); i++) {
                long count = 0;
                long sum = 0;
                long[] slots = new long[Layouts.HIST_SLOTS];
                for (int c = 0; c < cpus; c++) {
                    int base = e.valueOffset(i) + c * stride;
                    count += v.getLong(base + Layouts.Hist.COUNT);
                    sum += v.getLong(base + Layouts.Hist.SUM_NS);
                    for (int s = 0; s < slots.length; s++) {
                        slots[s] += v.getLong(base + Layouts.Hist.SLOTS + 8 * s);
                    }
                }
                out.add(new DnsHistogram(k.getLong(e.keyOffset(i)), count, sum, slots));
            }
        });
        return out;
    }

    /** Deletes a cgroup's histogram (the cgroup is gone). */
    public void forget(long cgroupId) {
        map.delete(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(0, cgroupId).array());
    }
}
