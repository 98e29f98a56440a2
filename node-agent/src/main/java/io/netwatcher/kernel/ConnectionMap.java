package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.event.ConnStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The {@code conns} map: tracked TCP connections by socket cookie (key __u64, value struct
 * nw_conn). Read whole as a {@link ConnSnapshot}, a chunk at a time; the latest snapshot is kept,
 * so a reader that only needs a recent one (a scrape counting entries) need not read the map again.
 */
public final class ConnectionMap implements MapView {
    public static final String NAME = "conns";

    private final BpfMap map;
    private final LongSupplier clock;
    private final Records records = new Records();
    private volatile ConnSnapshot latest;

    ConnectionMap(BpfObject object, LongSupplier clock) {
        this.map = object.map(NAME);
        this.clock = clock;
    }

    /** Before load: the number of connections the map holds. */
    public static void setCapacity(BpfObject object, int entries) {
        object.map(NAME).setMaxEntries(entries);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int capacity() {
        return map.maxEntries();
    }

    @Override
    public Optional<KernelStat> fullStat() {
        return Optional.of(KernelStat.CONN_FULL);
    }

    /**
     * Entries now: the latest snapshot's count if younger than a second, else counted now. Throws
     * BpfClosedException once the probes are closed, as every read does.
     */
    @Override
    public int entries() {
        map.fd(); // a closed map has no entries to report, fresh snapshot or not
        ConnSnapshot s = latest;
        if (s != null && clock.getAsLong() - s.takenNs() < 1_000_000_000L) {
            return s.size();
        }
        return map.countEntries();
    }

    /** Reads every connection now. */
    public ConnSnapshot snapshot() {
        long now = clock.getAsLong();
        long[][] cookies = {new long[256]};
        byte[][] values = {new byte[256 * Layouts.Conn.SIZE]};
        int[] n = {0};
        map.forEachChunk(e -> {
            int need = n[0] + e.count();
            if (need > cookies[0].length) {
                int cap = Math.max(need, cookies[0].length * 2);
                cookies[0] = Arrays.copyOf(cookies[0], cap);
                values[0] = Arrays.copyOf(values[0], cap * Layouts.Conn.SIZE);
            }
            ByteBuffer k = e.keys();
            ByteBuffer v = e.values();
            for (int i = 0; i < e.count(); i++) {
                cookies[0][n[0] + i] = k.getLong(e.keyOffset(i));
                v.get(e.valueOffset(i), values[0], (n[0] + i) * Layouts.Conn.SIZE, Layouts.Conn.SIZE);
            }
            n[0] = need;
        });
        ConnSnapshot s = new ConnSnapshot(now, n[0], cookies[0], values[0], this);
        latest = s;
        return s;
    }

    /** The kernel's current record of one connection, if tracked. */
    public Optional<ConnStats> lookup(long cookie) {
        byte[] value = new byte[map.lookupSize()];
        if (!map.lookup(key(cookie), value)) {
            return Optional.empty();
        }
        return Optional.of(decode(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()), 0));
    }

    synchronized ConnStats decode(ByteBuffer b, int off) {
        return records.conn(b, off);
    }

    static byte[] key(long cookie) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(cookie).array();
    }
}
