package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Layer;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.Transport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code hists} map: per-CPU log2 layer histograms, one value (struct nw_hists, every layer)
 * per cgroup, direction and transport (key struct nw_hist_key: TCP segments, UDP datagrams).
 */
public final class HistogramMap {
    public static final String NAME = "hists";
    private static final List<Transport> TRANSPORTS = List.of(Transport.TCP, Transport.UDP);

    private final BpfMap map;
    private final MapFill fill;

    HistogramMap(BpfObject object) {
        this.map = object.map(NAME);
        this.fill = new MapFill(map, KernelStat.HIST_FULL);
    }

    /** The map's fill level (self-metrics). */
    public MapView fill() {
        return fill;
    }

    /** The TCP histograms ({@link #read(Transport)}). */
    public List<LayerHistogram> read() {
        return read(Transport.TCP);
    }

    /**
     * Every (cgroup, direction, layer) histogram of one transport (TCP or UDP), summed over CPUs;
     * layers that never counted anything are left out.
     */
    public List<LayerHistogram> read(Transport transport) {
        List<LayerHistogram> out = new ArrayList<>();
        PerCpuValues cpus = new PerCpuValues(map);
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            ByteBuffer v = e.values();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                if (Byte.toUnsignedInt(k.get(ko + Layouts.HistKey.PROTOCOL)) != transport.value()) {
                    continue;
                }
                long cgroup = k.getLong(ko + Layouts.HistKey.CGROUP_ID);
                Direction dir = Direction.of(k.get(ko + Layouts.HistKey.DIRECTION));
                for (int index = 0; index < Layouts.HIST_LAYERS; index++) {
                    Layer layer = Layer.of(dir, index);
                    if (layer == null) {
                        continue; // a slot this direction does not use
                    }
                    int h = e.valueOffset(i) + Layouts.Hists.LAYER + index * Layouts.Hist.SIZE;
                    long count = cpus.sum(v, h + Layouts.Hist.COUNT);
                    if (count == 0) {
                        continue; // a layer this cgroup never used: no slots to sum
                    }
                    out.add(new LayerHistogram(cgroup, dir, layer, count, cpus.sum(v, h + Layouts.Hist.SUM_NS),
                            cpus.slots(v, h)));
                }
            }
        });
        return out;
    }

    /** Deletes a cgroup's histograms, every transport (the cgroup is gone). */
    public void forget(long cgroupId) {
        for (Transport p : TRANSPORTS) {
            for (Direction d : Direction.values()) {
                ByteBuffer k = ByteBuffer.allocate(Layouts.HistKey.SIZE).order(ByteOrder.nativeOrder());
                k.putLong(Layouts.HistKey.CGROUP_ID, cgroupId).put(Layouts.HistKey.DIRECTION, (byte) d.value())
                        .put(Layouts.HistKey.PROTOCOL, (byte) p.value());
                map.delete(k.array());
            }
        }
    }
}
