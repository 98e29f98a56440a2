package io.netwatcher.kernel;

import io.netwatcher.event.Direction;
import io.netwatcher.event.HandshakeFailure;
import io.netwatcher.event.ResetDirection;
import io.netwatcher.event.RetransmitKind;
import io.netwatcher.event.Role;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A per-cgroup counter's key (struct nw_counter_key): what was counted and its detail. The
 * detail's meaning depends on the kind ({@link CounterKind}); the accessors below read it.
 */
public record Counter(long cgroupId, CounterKind kind, int detail) {
    public Counter {
        Objects.requireNonNull(kind, "kind");
    }

    /** The key at {@code at} of a {@code counters} chunk; null for a kind this agent does not know. */
    static Counter read(ByteBuffer keys, int at) {
        CounterKind kind = CounterKind.of(Short.toUnsignedInt(keys.getShort(at + Layouts.CounterKey.KIND)));
        return kind == null ? null : new Counter(keys.getLong(at + Layouts.CounterKey.CGROUP_ID), kind,
                keys.getInt(at + Layouts.CounterKey.DETAIL));
    }

    /** CONN_OPEN, CONN_CLOSE: the connection's role. */
    public Role role() {
        return Role.of(detail);
    }

    /** RETRANS: why the segment was retransmitted ("unknown" for a kind this agent does not name). */
    public String retransmitKind() {
        return RetransmitKind.label(detail);
    }

    /** RESET: sent or received. */
    public ResetDirection resetDirection() {
        return ResetDirection.of(detail);
    }

    /** HANDSHAKE_FAIL: why the handshake failed (OTHER for a value this agent does not name). */
    public HandshakeFailure handshakeFailure() {
        HandshakeFailure f = HandshakeFailure.of(detail);
        return f == null ? HandshakeFailure.OTHER : f;
    }

    /** UDP_DATAGRAMS, UDP_BYTES: received or sent. */
    public Direction udpDirection() {
        return Direction.of(detail >> 8);
    }

    /** UDP_DATAGRAMS, UDP_BYTES: the IP version, 4 or 6. */
    public int udpIpVersion() {
        return detail & 0xff;
    }

    /** ICMP_SENT: the message's type and code, {@code type/code}. */
    public String icmpType() {
        return (detail >> 8) + "/" + (detail & 0xff);
    }
}
