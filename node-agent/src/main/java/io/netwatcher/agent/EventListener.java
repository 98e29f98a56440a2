package io.netwatcher.agent;

import io.netwatcher.event.Event;

/** Receives the agent's events (from the ring-buffer reader and the periodic poller). */
public interface EventListener {
    void onEvent(Event event);

    /** Called after a batch of events (e.g. to flush output). */
    default void flush() {
    }
}
