package io.netwatcher.output;

import io.netwatcher.event.Event;

/**
 * Names the formatter cannot know from an event alone: the cgroup path of a cgroup id, the
 * kernel's name of a drop reason, the symbol at a kernel address, and (in Kubernetes mode) the
 * pod fields an event is labelled with.
 */
public interface Labels {
    /** The cgroup path, or null when unknown. */
    String cgroupPath(long cgroupId);

    String dropReason(int reason);

    String kernelSymbol(long address);

    /** Adds labels (e.g. "pod", "peer", "node") to the event's JSON object. */
    default void decorate(Event event, Json json) {
    }
}
