package io.netwatcher.event;

/**
 * A retransmit, reset, drop, bad checksum or socket-pressure event. {@code detail} is the
 * retransmit kind, the reset direction (0 sent, 1 received), the drop reason value, or the
 * socket protocol; {@code extra} is the CA state, the reset reason, the IP protocol or rmem.
 * Drops and bad checksums also carry the segment's {@code ack}, payload {@code len} and
 * {@code tcpFlags} (0 when not TCP). Their {@code tuple} is the packet's own (sender first,
 * {@link ErrorKind#senderFirst()}); the others' is their socket's (local first).
 */
public record ErrorEvent(ErrorKind kind, long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple,
                         int detail, int state, long seq, long extra, long location, long ack, long len,
                         int tcpFlags) implements Event {

    /** An event without a segment's ack, length and flags (retransmits, resets, socket pressure). */
    public ErrorEvent(ErrorKind kind, long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple,
                      int detail, int state, long seq, long extra, long location) {
        this(kind, timeNs, cookie, cgroupId, pid, comm, tuple, detail, state, seq, extra, location, 0, 0, 0);
    }
}
