package io.netwatcher.event;

/** Receives the agent's events (from the ring-buffer reader and the periodic poller). */
public interface EventListener {
    void onEvent(Event event);

    /** Called after a batch of events (e.g. to flush output). */
    default void flush() {
    }
}
