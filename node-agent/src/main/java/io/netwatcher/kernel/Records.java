package io.netwatcher.kernel;

import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Role;
import io.netwatcher.event.Tuple;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decodes the records shared by the ring buffer and the maps: struct nw_tuple and struct nw_conn
 * (a conns map value and the body of a connection record). Not thread-safe: the comm cache is
 * the caller's.
 */
final class Records {
    private final CommCache comms = new CommCache();

    /**
     * Reads a struct nw_tuple. An IPv6 socket talking to an IPv4 peer (both addresses
     * IPv4-mapped) is reported as IPv4 (Tuple.of).
     */
    static Tuple tuple(ByteBuffer b, int off) {
        return Tuple.of(Short.toUnsignedInt(b.getShort(off + Layouts.Tuple.FAMILY)), be(b, off + Layouts.Tuple.SADDR),
                be(b, off + Layouts.Tuple.SADDR + 8), Short.toUnsignedInt(b.getShort(off + Layouts.Tuple.SPORT)),
                be(b, off + Layouts.Tuple.DADDR), be(b, off + Layouts.Tuple.DADDR + 8),
                Short.toUnsignedInt(b.getShort(off + Layouts.Tuple.DPORT)));
    }

    private static long be(ByteBuffer b, int off) {
        long v = b.getLong(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
    }

    /** Decodes a struct nw_conn at {@code c}. */
    ConnStats conn(ByteBuffer b, int c) {
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

    /** Reads a NUL-terminated comm at {@code off}. */
    String comm(ByteBuffer b, int off) {
        return comms.get(b, off);
    }

    static long u32(ByteBuffer b, int off) {
        return Integer.toUnsignedLong(b.getInt(off));
    }
}
