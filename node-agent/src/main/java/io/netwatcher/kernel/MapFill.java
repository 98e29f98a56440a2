package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import java.util.Optional;

/** A hash map's fill level, counted by reading the map: the {@link MapView} of a typed view. */
final class MapFill implements MapView {
    private final BpfMap map;
    private final Optional<KernelStat> fullStat;

    /** {@code full}: the statistic that counts inserts the full map refused, or null. */
    MapFill(BpfMap map, KernelStat full) {
        this.map = map;
        this.fullStat = Optional.ofNullable(full);
    }

    @Override
    public String name() {
        return map.name();
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
        return fullStat;
    }
}
