package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfObject;

/**
 * The {@code listeners} map: listening sockets by (netns, port), kept by the probes to give
 * server connections their listener's process. The agent reads only its fill level.
 */
public final class ListenerMap {
    public static final String NAME = "listeners";

    private final MapFill fill;

    ListenerMap(BpfObject object) {
        this.fill = new MapFill(object.map(NAME), null);
    }

    /** The map's fill level (self-metrics). */
    public MapView fill() {
        return fill;
    }
}
