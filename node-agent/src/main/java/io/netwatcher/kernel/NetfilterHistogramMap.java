package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.NetfilterHook;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code nf_hists} map: per-CPU log2 histograms of the time packets spent in a netfilter hook,
 * one (struct nw_hist) per socket cgroup, network namespace, family and hook (key struct nw_nf_key).
 * Empty unless netfilter hook times are on.
 */
public final class NetfilterHistogramMap {
    public static final String NAME = "nf_hists";
    private static final int NFPROTO_IPV6 = 10;

    private final BpfMap map;
    private final MapFill fill;

    NetfilterHistogramMap(BpfObject object) {
        this.map = object.map(NAME);
        this.fill = new MapFill(map, KernelStat.HIST_FULL);
    }

    /** Its fill level, a self-metric. */
    public MapView fill() {
        return fill;
    }

    /** Every histogram, summed over CPUs. */
    public List<NetfilterHistogram> read() {
        List<NetfilterHistogram> out = new ArrayList<>();
        PerCpuValues cpus = new PerCpuValues(map);
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            ByteBuffer v = e.values();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                NetfilterHook hook = NetfilterHook.of(Byte.toUnsignedInt(k.get(ko + Layouts.NfKey.HOOK)));
                if (hook == null) {
                    continue; // not a hook the programs time
                }
                int h = e.valueOffset(i);
                out.add(new NetfilterHistogram(k.getLong(ko + Layouts.NfKey.CGROUP_ID),
                        Integer.toUnsignedLong(k.getInt(ko + Layouts.NfKey.NETNS)),
                        Byte.toUnsignedInt(k.get(ko + Layouts.NfKey.FAMILY)) == NFPROTO_IPV6, hook,
                        cpus.sum(v, h + Layouts.Hist.COUNT), cpus.sum(v, h + Layouts.Hist.SUM_NS), cpus.slots(v, h)));
            }
        });
        return out;
    }
}
