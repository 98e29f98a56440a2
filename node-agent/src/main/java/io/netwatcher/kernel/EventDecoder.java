package io.netwatcher.kernel;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.DnsEvent;
import io.netwatcher.event.DnsOutcome;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.HandshakeFailure;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.IcmpSide;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.StateEvent;
import io.netwatcher.event.Transport;
import io.netwatcher.names.Dns;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Decodes ring-buffer records (struct nw_*_event) into events, reading the offsets of
 * {@link Layouts}. Not thread-safe: one reader decodes.
 */
public final class EventDecoder {
    private final Records records = new Records();

    /** Decodes the record of {@code length} bytes at {@code off}; throws on a malformed record. */
    public Event decode(ByteBuffer b, int off, int length) {
        if (length < Layouts.EventHdr.SIZE) {
            throw new IllegalArgumentException("record of " + length + " bytes is shorter than its header");
        }
        RecordType type = RecordType.of(Short.toUnsignedInt(b.getShort(off + Layouts.EventHdr.TYPE)));
        return switch (type) {
            case PACKET -> packet(b, off, need(length, Layouts.PacketEvent.SIZE, type));
            case CONN -> conn(b, off, need(length, Layouts.ConnEvent.SIZE, type));
            case STATE -> state(b, off, need(length, Layouts.StateEvent.SIZE, type));
            case ICMP -> icmp(b, off, need(length, Layouts.IcmpEvent.SIZE, type));
            case DNS -> dns(b, off, need(length, Layouts.DnsEvent.SIZE, type));
            default -> error(b, off, need(length, Layouts.ErrorEvent.SIZE, type), type);
        };
    }

    private static int need(int length, int size, RecordType type) {
        if (length < size) {
            throw new IllegalArgumentException("record type " + type.value() + " has " + length + " bytes, needs "
                    + size);
        }
        return length;
    }

    /** The type of a record without decoding it. */
    public static RecordType type(ByteBuffer b, int off) {
        return RecordType.of(Short.toUnsignedInt(b.getShort(off + Layouts.EventHdr.TYPE)));
    }

    PacketEvent packet(ByteBuffer b, int off, int length) {
        long[] stamps = new long[Layouts.MAX_STAMPS];
        for (int i = 0; i < stamps.length; i++) {
            stamps[i] = b.getLong(off + Layouts.PacketEvent.STAMPS + 8 * i);
        }
        int httpLen = Math.min(Layouts.HTTP_LEN, Byte.toUnsignedInt(b.get(off + Layouts.PacketEvent.HTTP_LEN)));
        String http = null;
        if (httpLen > 0) {
            byte[] h = new byte[httpLen];
            b.get(off + Layouts.PacketEvent.HTTP, h);
            int end = 0;
            while (end < h.length && h[end] != '\r' && h[end] != '\n') {
                end++;
            }
            // The first line only, as UTF-8 (invalid or cut-off sequences become U+FFFD).
            http = new String(h, 0, end, StandardCharsets.UTF_8);
        }
        return new PacketEvent(b.getLong(off + Layouts.EventHdr.TS_NS), b.getLong(off + Layouts.EventHdr.COOKIE),
                b.getLong(off + Layouts.EventHdr.CGROUP_ID), b.getInt(off + Layouts.EventHdr.PID),
                records.comm(b, off + Layouts.PacketEvent.COMM), Records.tuple(b, off + Layouts.EventHdr.T),
                Direction.of(b.get(off + Layouts.PacketEvent.DIRECTION)),
                Records.u32(b, off + Layouts.PacketEvent.SEQ), Records.u32(b, off + Layouts.PacketEvent.ACK),
                Records.u32(b, off + Layouts.PacketEvent.LEN), stamps, http, transport(b.get(off + Layouts.PacketEvent.PROTOCOL)));
    }

    /** A packet record's transport (IPPROTO_TCP or IPPROTO_UDP); any other value is a malformed record. */
    private static Transport transport(byte protocol) {
        Transport t = Transport.of(Byte.toUnsignedInt(protocol));
        if (t == null) {
            throw new IllegalArgumentException("packet record of IP protocol " + Byte.toUnsignedInt(protocol));
        }
        return t;
    }

    ConnEvent conn(ByteBuffer b, int off, int length) {
        return new ConnEvent(ConnKind.of(b.get(off + Layouts.ConnEvent.EVENT)).kind(),
                b.getLong(off + Layouts.EventHdr.TS_NS), b.getLong(off + Layouts.EventHdr.COOKIE),
                Records.tuple(b, off + Layouts.EventHdr.T), Byte.toUnsignedInt(b.get(off + Layouts.ConnEvent.OLDSTATE)),
                records.conn(b, off + Layouts.ConnEvent.C));
    }

    StateEvent state(ByteBuffer b, int off, int length) {
        long duration = b.getLong(off + Layouts.StateEvent.DURATION_NS);
        return new StateEvent(b.getLong(off + Layouts.EventHdr.TS_NS), b.getLong(off + Layouts.EventHdr.COOKIE),
                b.getLong(off + Layouts.EventHdr.CGROUP_ID), b.getInt(off + Layouts.EventHdr.PID),
                records.comm(b, off + Layouts.StateEvent.COMM), Records.tuple(b, off + Layouts.EventHdr.T),
                Byte.toUnsignedInt(b.get(off + Layouts.StateEvent.OLDSTATE)),
                Byte.toUnsignedInt(b.get(off + Layouts.StateEvent.NEWSTATE)), Math.max(0, duration),
                HandshakeFailure.of(Byte.toUnsignedInt(b.get(off + Layouts.StateEvent.FAILURE))),
                b.getInt(off + Layouts.StateEvent.SK_ERR));
    }

    ErrorEvent error(ByteBuffer b, int off, int length, RecordType type) {
        return new ErrorEvent(type.errorKind(), b.getLong(off + Layouts.EventHdr.TS_NS),
                b.getLong(off + Layouts.EventHdr.COOKIE), b.getLong(off + Layouts.EventHdr.CGROUP_ID),
                b.getInt(off + Layouts.EventHdr.PID), records.comm(b, off + Layouts.ErrorEvent.COMM),
                Records.tuple(b, off + Layouts.EventHdr.T), b.getInt(off + Layouts.ErrorEvent.DETAIL),
                b.getInt(off + Layouts.ErrorEvent.STATE), Records.u32(b, off + Layouts.ErrorEvent.SEQ),
                Records.u32(b, off + Layouts.ErrorEvent.EXTRA), b.getLong(off + Layouts.ErrorEvent.LOCATION),
                Records.u32(b, off + Layouts.ErrorEvent.ACK), Records.u32(b, off + Layouts.ErrorEvent.LEN),
                Byte.toUnsignedInt(b.get(off + Layouts.ErrorEvent.TCP_FLAGS)));
    }

    IcmpEvent icmp(ByteBuffer b, int off, int length) {
        return new IcmpEvent(b.getLong(off + Layouts.EventHdr.TS_NS), b.getLong(off + Layouts.EventHdr.CGROUP_ID),
                b.getInt(off + Layouts.EventHdr.PID), records.comm(b, off + Layouts.IcmpEvent.COMM),
                Records.tuple(b, off + Layouts.EventHdr.T), IcmpSide.of(b.get(off + Layouts.IcmpEvent.SIDE)),
                Short.toUnsignedInt(b.getShort(off + Layouts.IcmpEvent.ID)),
                Short.toUnsignedInt(b.getShort(off + Layouts.IcmpEvent.SEQ)), b.getLong(off + Layouts.IcmpEvent.LATENCY_NS),
                Records.u32(b, off + Layouts.IcmpEvent.NETNS), b.getInt(off + Layouts.IcmpEvent.CPU),
                b.getInt(off + Layouts.IcmpEvent.TASK_PID), b.getInt(off + Layouts.IcmpEvent.TASK_TGID),
                records.comm(b, off + Layouts.IcmpEvent.TASK_COMM));
    }

    DnsEvent dns(ByteBuffer b, int off, int length) {
        int nameLen = Math.min(Layouts.DNS_NAME_LEN, Short.toUnsignedInt(b.getShort(off + Layouts.DnsEvent.NAME_LEN)));
        return new DnsEvent(b.getLong(off + Layouts.EventHdr.TS_NS), b.getLong(off + Layouts.EventHdr.COOKIE),
                b.getLong(off + Layouts.EventHdr.CGROUP_ID), b.getInt(off + Layouts.EventHdr.PID),
                records.comm(b, off + Layouts.DnsEvent.COMM), Records.tuple(b, off + Layouts.EventHdr.T),
                Byte.toUnsignedInt(b.get(off + Layouts.DnsEvent.PROTOCOL)),
                Short.toUnsignedInt(b.getShort(off + Layouts.DnsEvent.ID)),
                Short.toUnsignedInt(b.getShort(off + Layouts.DnsEvent.QTYPE)),
                Dns.name(b, off + Layouts.DnsEvent.NAME, nameLen),
                DnsOutcome.of(Byte.toUnsignedInt(b.get(off + Layouts.DnsEvent.OUTCOME))),
                Byte.toUnsignedInt(b.get(off + Layouts.DnsEvent.RCODE)) & 0xf,
                Short.toUnsignedInt(b.getShort(off + Layouts.DnsEvent.ANCOUNT)),
                b.getLong(off + Layouts.DnsEvent.LATENCY_NS));
    }
}
