package io.netwatcher.calls;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code call_counts} map of calls.bpf.o (key struct nw_call_key, value a per-CPU __u64) and
 * its {@code call_stats} counter of calls not counted because the map was full.
 */
final class CallCountMap {
    static final String NAME = "call_counts";
    static final String STATS = "call_stats";

    /** One counter: who called which function (its index in --count-calls), and how often since attach. */
    record Entry(Key key, long calls) {
    }

    /** A counter's identity, and its key's bytes (to delete it). */
    record Key(long cgroupId, int tgid, int func, String comm, ByteBuffer raw) {
        static Key of(ByteBuffer keys, int off) {
            ByteBuffer raw = ByteBuffer.allocate(CallLayouts.Key.SIZE).order(ByteOrder.nativeOrder());
            raw.put(0, keys, off, CallLayouts.Key.SIZE);
            return new Key(raw.getLong(CallLayouts.Key.CGROUP_ID), raw.getInt(CallLayouts.Key.TGID),
                    raw.getInt(CallLayouts.Key.FUNC), CallCountMap.comm(raw, CallLayouts.Key.COMM), raw);
        }
    }

    private final BpfMap map;
    private final BpfMap stats;

    CallCountMap(BpfObject object) {
        this.map = object.map(NAME);
        this.stats = object.map(STATS);
    }

    /** Sets the map's size; before the object is loaded. */
    static void setCapacity(BpfObject object, int entries) {
        object.map(NAME).setMaxEntries(entries);
    }

    /** Makes {@code copy} (before load) count into the maps of {@code first} (loaded). */
    static void share(BpfObject copy, BpfObject first) {
        copy.map(NAME).reuse(first.map(NAME));
        copy.map(STATS).reuse(first.map(STATS));
    }

    int capacity() {
        return map.maxEntries();
    }

    /** Every counter, summed over CPUs. */
    List<Entry> read() {
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
                out.add(new Entry(Key.of(k, ko), sum));
            }
        });
        return out;
    }

    /** Deletes a counter (its process stopped calling: it is gone, or idle). */
    void delete(Key key) {
        map.delete(key.raw().array());
    }

    /** Calls not counted since load because the map was full. */
    long fullMisses() {
        byte[] key = new byte[4];
        ByteBuffer.wrap(key).order(ByteOrder.nativeOrder()).putInt(CallLayouts.STAT_FULL);
        byte[] v = new byte[stats.lookupSize()];
        if (!stats.lookup(key, v)) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.nativeOrder());
        long sum = 0;
        for (int off = 0; off + 8 <= v.length; off += stats.valueStride()) {
            sum += b.getLong(off);
        }
        return sum;
    }

    static String comm(ByteBuffer b, int off) {
        int n = 0;
        while (n < CallLayouts.Key.COMM_LEN && b.get(off + n) != 0) {
            n++;
        }
        byte[] c = new byte[n];
        b.get(off, c);
        return new String(c, StandardCharsets.UTF_8);
    }
}
