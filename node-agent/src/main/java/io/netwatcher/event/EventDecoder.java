package io.netwatcher.event;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Decodes ring-buffer records (struct nw_*_event) into events, reading fixed offsets. */
public final class EventDecoder {
    private final CommCache comms = new CommCache();

    /** Decodes the record of {@code length} bytes at {@code off}; throws on a malformed record. */
    public Event decode(ByteBuffer b, int off, int length) {
        if (length < Layouts.EventHdr.SIZE) {
            throw new IllegalArgumentException("record of " + length + " bytes is shorter than its header");
        }
        int type = Short.toUnsignedInt(b.getShort(off + Layouts.EventHdr.TYPE));
        return switch (type) {
            case Layouts.EV_PACKET -> packet(b, off, need(length, Layouts.PacketEvent.SIZE, type));
            case Layouts.EV_CONN -> conn(b, off, need(length, Layouts.ConnEvent.SIZE, type));
            default -> error(b, off, need(length, Layouts.ErrorEvent.SIZE, type), type);
        };
    }

    private static int need(int length, int size, int type) {
        if (length < size) {
            throw new IllegalArgumentException("record type " + type + " has " + length + " bytes, needs " + size);
        }
        return length;
    }

    /** The event type of a record without decoding it. */
    public static int type(ByteBuffer b, int off) {
        return Short.toUnsignedInt(b.getShort(off + Layouts.EventHdr.TYPE));
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
                comms.get(b, off + Layouts.PacketEvent.COMM), Tuple.read(b, off + Layouts.EventHdr.T),
                Direction.of(b.get(off + Layouts.PacketEvent.DIRECTION)),
                Integer.toUnsignedLong(b.getInt(off + Layouts.PacketEvent.SEQ)),
                Integer.toUnsignedLong(b.getInt(off + Layouts.PacketEvent.ACK)),
                Integer.toUnsignedLong(b.getInt(off + Layouts.PacketEvent.LEN)), stamps, http);
    }

    ConnEvent conn(ByteBuffer b, int off, int length) {
        int kind = b.get(off + Layouts.ConnEvent.EVENT);
        return new ConnEvent(kind == 1 ? ConnEvent.Kind.OPEN : ConnEvent.Kind.CLOSE,
                b.getLong(off + Layouts.EventHdr.TS_NS), b.getLong(off + Layouts.EventHdr.COOKIE),
                Tuple.read(b, off + Layouts.EventHdr.T), Byte.toUnsignedInt(b.get(off + Layouts.ConnEvent.OLDSTATE)),
                stats(b, off + Layouts.ConnEvent.C));
    }

    /** Decodes a struct nw_conn at {@code c} (a conn event body or a conns map value). */
    public ConnStats stats(ByteBuffer b, int c) {
        return new ConnStats(b.getLong(c + Layouts.Conn.START_NS), b.getLong(c + Layouts.Conn.UPDATE_NS),
                b.getLong(c + Layouts.Conn.CGROUP_ID), b.getLong(c + Layouts.Conn.BYTES_ACKED),
                b.getLong(c + Layouts.Conn.BYTES_RECEIVED), b.getLong(c + Layouts.Conn.BYTES_RETRANS),
                b.getLong(c + Layouts.Conn.SEGS_OUT), u32(b, c + Layouts.Conn.SRTT_US),
                u32(b, c + Layouts.Conn.RTTVAR_US), u32(b, c + Layouts.Conn.CWND), u32(b, c + Layouts.Conn.SSTHRESH),
                u32(b, c + Layouts.Conn.RWND), u32(b, c + Layouts.Conn.SND_WND),
                u32(b, c + Layouts.Conn.TOTAL_RETRANS), u32(b, c + Layouts.Conn.FAST_RETRANS),
                u32(b, c + Layouts.Conn.TIMEOUT_RETRANS), u32(b, c + Layouts.Conn.OTHER_RETRANS),
                u32(b, c + Layouts.Conn.BACKLOG), u32(b, c + Layouts.Conn.MAX_BACKLOG), u32(b, c + Layouts.Conn.SNDBUF),
                u32(b, c + Layouts.Conn.WMEM_QUEUED), u32(b, c + Layouts.Conn.RCVBUF), u32(b, c + Layouts.Conn.RESETS),
                b.getInt(c + Layouts.Conn.PID), b.getInt(c + Layouts.Conn.UID), comms.get(b, c + Layouts.Conn.COMM),
                Role.of(b.get(c + Layouts.Conn.ROLE)), Byte.toUnsignedInt(b.get(c + Layouts.Conn.STATE)),
                b.get(c + Layouts.Conn.ESTABLISHED) != 0);
    }

    ErrorEvent error(ByteBuffer b, int off, int length, int type) {
        return new ErrorEvent(ErrorKind.of(type), b.getLong(off + Layouts.EventHdr.TS_NS),
                b.getLong(off + Layouts.EventHdr.COOKIE), b.getLong(off + Layouts.EventHdr.CGROUP_ID),
                b.getInt(off + Layouts.EventHdr.PID), comms.get(b, off + Layouts.ErrorEvent.COMM),
                Tuple.read(b, off + Layouts.EventHdr.T), b.getInt(off + Layouts.ErrorEvent.DETAIL),
                b.getInt(off + Layouts.ErrorEvent.STATE), u32(b, off + Layouts.ErrorEvent.SEQ),
                u32(b, off + Layouts.ErrorEvent.EXTRA), b.getLong(off + Layouts.ErrorEvent.LOCATION),
                u32(b, off + Layouts.ErrorEvent.ACK), u32(b, off + Layouts.ErrorEvent.LEN),
                Byte.toUnsignedInt(b.get(off + Layouts.ErrorEvent.TCP_FLAGS)));
    }

    /** Reads a NUL-terminated comm at {@code off}. */
    public String comm(ByteBuffer b, int off) {
        return comms.get(b, off);
    }

    public Tuple tuple(ByteBuffer b, int off) {
        return Tuple.read(b, off);
    }

    private static long u32(ByteBuffer b, int off) {
        return Integer.toUnsignedLong(b.getInt(off));
    }
}
