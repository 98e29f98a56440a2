package io.netwatcher.event;

import java.util.Objects;

/**
 * A TCP state transition of a socket, with the time it spent in the state it left. States are
 * the kernel's values ({@code TCP_ESTABLISHED} = 1 ...). {@code durationNs} is 0 when the time the
 * socket entered {@code oldState} was not seen (before the agent started, or a socket's first
 * transition); {@code failure} is set for a client's SYN_SENT -> CLOSE, and {@code skErr} is the
 * socket's pending error (errno, 0 = none). The cookie is the socket's in every transition (a server's
 * from LISTEN -> SYN_RECV on); the tuple is the socket's (local first; the local port is 0 before
 * connect() picked it and after an active close released it).
 */
public record StateEvent(long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple, int oldState,
                         int newState, long durationNs, HandshakeFailure failure, int skErr) implements Event {
    public StateEvent {
        Objects.requireNonNull(comm, "comm");
        Objects.requireNonNull(tuple, "tuple");
        if (durationNs < 0) {
            throw new IllegalArgumentException("durationNs must be >= 0");
        }
        if (oldState < 0 || oldState > 255 || newState < 0 || newState > 255) {
            throw new IllegalArgumentException("states are 0..255");
        }
    }

    /** Whether the time spent in the old state is known. */
    public boolean durationKnown() {
        return durationNs > 0;
    }
}
