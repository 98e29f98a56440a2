package io.netwatcher.event;

/**
 * A retransmit, reset, drop, bad checksum or socket-pressure event. {@code detail} is the
 * retransmit kind, the reset direction (0 sent, 1 received), the drop reason value, or the
 * socket protocol; {@code extra} is the CA state, the reset reason, the IP protocol or rmem.
 */
public record ErrorEvent(ErrorKind kind, long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple,
                         int detail, int state, long seq, long extra, long location) implements Event {
}
