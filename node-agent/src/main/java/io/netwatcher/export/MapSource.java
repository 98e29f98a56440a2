package io.netwatcher.export;

import io.netwatcher.agent.KernelMaps;
import io.netwatcher.bpf.BpfMap;
import io.netwatcher.event.Layouts;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.probe.ProbeSet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link KernelSource} over the loaded probes' maps: {@code hists} and {@code counters}.
 */
public final class MapSource implements KernelSource {
    private final BpfMap hists;
    private final BpfMap counters;

    public MapSource(ProbeSet probes) {
        this.hists = probes.map("hists");
        this.counters = probes.map("counters");
    }

    @Override
    public List<LayerHistogram> histograms() {
        return KernelMaps.histograms(hists);
    }

    @Override
    public Map<KernelMaps.CounterKey, Long> counters() {
        return KernelMaps.counters(counters);
    }

    @Override
    public void forget(long cgroupId) {
        for (int dir = 0; dir < 2; dir++) {
            ByteBuffer k = ByteBuffer.allocate(Layouts.HistKey.SIZE).order(ByteOrder.nativeOrder());
            k.putLong(Layouts.HistKey.CGROUP_ID, cgroupId).put(Layouts.HistKey.DIRECTION, (byte) dir);
            hists.delete(k.array());
        }
        for (KernelMaps.CounterKey c : KernelMaps.counters(counters).keySet()) {
            if (c.cgroupId() == cgroupId) {
                ByteBuffer k = ByteBuffer.allocate(Layouts.CounterKey.SIZE).order(ByteOrder.nativeOrder());
                k.putLong(Layouts.CounterKey.CGROUP_ID, cgroupId).putShort(Layouts.CounterKey.KIND, (short) c.kind())
                        .putInt(Layouts.CounterKey.DETAIL, c.detail());
                counters.delete(k.array());
            }
        }
    }
}
