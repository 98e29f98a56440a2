package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;

/**
 * The {@code conn_gc} map: connections whose socket is gone without a close being seen. The
 * agent lists them; the next socket walk reports their close (nw_conn_gc) and the agent removes
 * them from the list.
 */
public final class GoneConnections {
    public static final String NAME = "conn_gc";
    private static final byte[] PRESENT = new byte[1];

    private final BpfMap map;

    GoneConnections(BpfObject object) {
        this.map = object.map(NAME);
    }

    /** Connections the list holds at most. */
    public int capacity() {
        return map.maxEntries();
    }

    /** Lists a connection for the next walk to close. */
    public void add(long cookie) {
        map.update(ConnectionMap.key(cookie), PRESENT, 0);
    }

    /** Takes a connection off the list (its close was reported). */
    public void remove(long cookie) {
        map.delete(ConnectionMap.key(cookie));
    }
}
