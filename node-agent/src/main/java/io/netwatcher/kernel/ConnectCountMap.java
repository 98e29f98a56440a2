package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.Tuple;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code connect_counts} map: per-CPU connect() counts per cgroup, local address, destination
 * address and destination port (key struct nw_connect_key, value __u64), as bcc tcpconnect -c
 * counts them. A plain hash: the reader deletes entries that stay idle.
 */
public final class ConnectCountMap implements MapView {
    public static final String NAME = "connect_counts";

    private final BpfMap map;

    ConnectCountMap(BpfObject object) {
        this.map = object.map(NAME);
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
        return Optional.of(KernelStat.CONNECTS_FULL);
    }

    /** Every entry, summed over CPUs. */
    public List<Entry> read() {
        List<Entry> out = new ArrayList<>();
        int stride = map.valueStride();
        int cpus = map.lookupSize() / stride;
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                long sum = 0;
                for (int c = 0; c < cpus; c++) {
                    sum += e.values().getLong(e.valueOffset(i) + c * stride);
                }
                out.add(new Entry(k.getLong(ko + Layouts.ConnectKey.CGROUP_ID),
                        Records.tuple(k, ko + Layouts.ConnectKey.T), sum, e.key(i)));
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
