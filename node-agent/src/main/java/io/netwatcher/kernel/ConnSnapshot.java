package io.netwatcher.kernel;

import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Tuple;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * One read of the conns map: every tracked connection as the kernel recorded it at {@link #takenNs()}.
 * The records are copied out once; a connection's fields are decoded when asked for (most
 * connections of a busy node do not change between two reads).
 */
public final class ConnSnapshot {
    private final long takenNs;
    private final int size;
    private final long[] cookies;
    private final ByteBuffer values;
    private final ConnectionMap map;

    ConnSnapshot(long takenNs, int size, long[] cookies, byte[] values, ConnectionMap map) {
        this.takenNs = takenNs;
        this.size = size;
        this.cookies = cookies;
        this.values = ByteBuffer.wrap(values).order(ByteOrder.nativeOrder());
        this.map = map;
    }

    /** When it was read (System.nanoTime(), CLOCK_MONOTONIC). */
    public long takenNs() {
        return takenNs;
    }

    /** Connections in the map. */
    public int size() {
        return size;
    }

    /** The socket cookie of connection {@code i}. */
    public long cookie(int i) {
        return cookies[index(i)];
    }

    private int index(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        return i;
    }

    private int at(int i) {
        return index(i) * Layouts.Conn.SIZE;
    }

    /** The network namespace inode of connection {@code i}'s socket. */
    public long netns(int i) {
        return Integer.toUnsignedLong(values.getInt(at(i) + Layouts.Conn.NETNS));
    }

    /** When the kernel last refreshed connection {@code i}'s counters (CLOCK_MONOTONIC ns). */
    public long updateNs(int i) {
        return values.getLong(at(i) + Layouts.Conn.UPDATE_NS);
    }

    /** A 64-bit digest of connection {@code i}'s record, update_ns left out: equal digests, nothing changed. */
    public long digest(int i) {
        int off = at(i);
        long h = 0x243F6A8885A308D3L;
        for (int b = 0; b + 8 <= Layouts.Conn.SIZE; b += 8) {
            if (b != Layouts.Conn.UPDATE_NS) {
                h = (h ^ values.getLong(off + b)) * 0x9E3779B97F4A7C15L;
                h ^= h >>> 29;
            }
        }
        return h;
    }

    /** Connection {@code i}'s record. */
    public ConnStats stats(int i) {
        return map.decode(values, at(i));
    }

    /** Connection {@code i}'s endpoints, local first. */
    public Tuple tuple(int i) {
        return Records.tuple(values, at(i) + Layouts.Conn.T);
    }

    /** The network namespaces holding the connections. */
    public Set<Long> namespaces() {
        Set<Long> out = new HashSet<>();
        for (int i = 0; i < size; i++) {
            out.add(netns(i));
        }
        return out;
    }
}
