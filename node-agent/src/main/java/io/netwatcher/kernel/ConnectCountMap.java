package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.Tuple;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code connect_counts} map: per-CPU connect() counts per cgroup, local address, destination
 * address and destination port (key struct nw_connect_key, value __u64), as bcc tcpconnect -c
 * counts them. A plain hash: the reader deletes entries that stay idle.
 */
public final class ConnectCountMap {
    public static final String NAME = "connect_counts";

    private final BpfMap map;
    private final MapFill fill;

    ConnectCountMap(BpfObject object) {
        this.map = object.map(NAME);
        this.fill = new MapFill(map, KernelStat.CONNECTS_FULL);
    }

    /**
     * One entry: its cgroup and tuple (local address, destination address and port; local port 0),
     * the connects counted since it was created, and its key as the kernel holds it (to delete it).
     */
    public record Entry(long cgroupId, Tuple tuple, long connects, byte[] key) {
        public Entry {
            Objects.requireNonNull(tuple, "tuple");
            Objects.requireNonNull(key, "key");
        }
    }

    /** Its fill level, a self-metric. */
    public MapView fill() {
        return fill;
    }

    /** Every entry, summed over CPUs. */
    public List<Entry> read() {
        List<Entry> out = new ArrayList<>();
        PerCpuValues cpus = new PerCpuValues(map);
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                out.add(new Entry(k.getLong(ko + Layouts.ConnectKey.CGROUP_ID),
                        Records.tuple(k, ko + Layouts.ConnectKey.T), cpus.sum(e.values(), e.valueOffset(i)),
                        e.key(i)));
            }
        });
        return out;
    }

    /** Deletes an entry by the key {@link #read()} gave; false if it was not there. */
    public boolean delete(byte[] key) {
        if (key.length != Layouts.ConnectKey.SIZE) {
            throw new IllegalArgumentException("a connect count key has " + Layouts.ConnectKey.SIZE + " bytes");
        }
        return map.delete(key);
    }
}
