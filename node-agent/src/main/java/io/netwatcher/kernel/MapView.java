package io.netwatcher.kernel;

import java.util.Optional;

/** A hash map of the probes, for its fill level (self-metrics): name, entries now and capacity. */
public interface MapView {
    /** The map's name in the object (its label in self-metrics). */
    String name();

    /** Entries in the map now. */
    int entries();

    /** Entries the map can hold. */
    int capacity();

    /** The statistic that counts inserts the full map refused, if the probes count them. */
    default Optional<KernelStat> fullStat() {
        return Optional.empty();
    }
}
