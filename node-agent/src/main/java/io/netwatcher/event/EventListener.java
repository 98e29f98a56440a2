package io.netwatcher.event;

/**
 * Receives the agent's events (from the ring-buffer reader and the periodic poller), each with
 * who it belongs to, resolved once for every listener. Events out of the namespace scope never
 * reach a listener.
 */
public interface EventListener {
    void onEvent(Event event, Who who);

    /** Called after a batch of events (e.g. to flush output). */
    default void flush() {
    }
}
