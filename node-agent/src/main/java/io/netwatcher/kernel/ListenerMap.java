package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;

/**
 * The {@code listeners} map: listening sockets by (netns, port), kept by the probes to give
 * server connections their listener's process. The agent reads only its fill level.
 */
public final class ListenerMap implements MapView {
    public static final String NAME = "listeners";

    private final BpfMap map;

    ListenerMap(BpfObject object) {
        this.map = object.map(NAME);
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
}
