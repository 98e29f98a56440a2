package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.RingBuffer;
import io.netwatcher.event.Event;

/**
 * The {@code events} ring buffer: every record the probes emit, decoded into events as it is
 * read. One thread reads; {@link #pending()} may be asked from any thread until {@link #close()}.
 */
public final class EventRing implements AutoCloseable {
    public static final String NAME = "events";

    /** Receives what one poll read. */
    public interface Reader {
        void onEvent(Event event);

        /** A record that could not be decoded (counted and reported by the reader). */
        void onUndecodable(RuntimeException why);
    }

    private final RingBuffer ring;
    private final EventDecoder decoder = new EventDecoder();

    EventRing(BpfObject object) {
        this.ring = new RingBuffer(object.map(NAME));
    }

    /** Before load: the ring's data size in bytes (a power of two of pages). */
    public static void setSize(BpfObject object, int bytes) {
        object.map(NAME).setMaxEntries(bytes);
    }

    /**
     * Waits up to {@code timeoutMs} for records and hands every one to {@code reader}; returns the
     * number of records read.
     */
    public int poll(int timeoutMs, Reader reader) {
        return ring.poll(timeoutMs, (buf, off, len) -> {
            Event e;
            try {
                e = decoder.decode(buf, off, len);
            } catch (RuntimeException ex) {
                reader.onUndecodable(ex);
                return;
            }
            reader.onEvent(e);
        });
    }

    /** Times the kernel woke the reader (ring past its fill mark). */
    public long wakeups() {
        return ring.wakeups();
    }

    /** Times the reader woke on its own timer. */
    public long timeouts() {
        return ring.timeouts();
    }

    /** Bytes written by the kernel and not read yet. */
    public long pending() {
        return ring.pending();
    }

    @Override
    public void close() {
        ring.close();
    }
}
