package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.NetfilterHook;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code nf_hists} map: per-CPU log2 histograms of the time packets spent in a netfilter hook,
 * one (struct nw_hist) per socket cgroup, network namespace, family and hook (key struct nw_nf_key).
 * Empty unless netfilter hook times are on.
 */
public final class NetfilterHistogramMap implements MapView {
    public static final String NAME = "nf_hists";
    private static final int NFPROTO_IPV6 = 10;

    private final BpfMap map;

    NetfilterHistogramMap(BpfObject object) {
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

    /** Every histogram, summed over CPUs. */
    public List<NetfilterHistogram> read() {
        List<NetfilterHistogram> out = new ArrayList<>();
        int stride = map.valueStride();
        int cpus = map.lookupSize() / stride;
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            ByteBuffer v = e.values();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                NetfilterHook hook = NetfilterHook.of(Byte.toUnsignedInt(k.get(ko + Layouts.NfKey.HOOK)));
                if (hook == null) {
                    continue; // not a hook the programs time
                }
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
                out.add(new NetfilterHistogram(k.getLong(ko + Layouts.NfKey.CGROUP_ID),
                        Integer.toUnsignedLong(k.getInt(ko + Layouts.NfKey.NETNS)),
                        Byte.toUnsignedInt(k.get(ko + Layouts.NfKey.FAMILY)) == NFPROTO_IPV6, hook, count, sum, slots));
            }
        });
        return out;
    }
}
