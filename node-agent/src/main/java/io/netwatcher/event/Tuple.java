package io.netwatcher.event;

import java.nio.ByteBuffer;

/**
 * Two TCP/UDP endpoints: source and destination. Addresses are 16 bytes (IPv4 mapped into
 * IPv6 as ::ffff:a.b.c.d), kept as two big-endian longs each so tuples are cheap values.
 */
public record Tuple(int family, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport) {
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    public static final Tuple NONE = new Tuple(0, 0, 0, 0, 0, 0, 0);

    static Tuple read(ByteBuffer b, int off) {
        return new Tuple(Short.toUnsignedInt(b.getShort(off + Layouts.Tuple.FAMILY)),
                be(b, off + Layouts.Tuple.SADDR), be(b, off + Layouts.Tuple.SADDR + 8),
                Short.toUnsignedInt(b.getShort(off + Layouts.Tuple.SPORT)),
                be(b, off + Layouts.Tuple.DADDR), be(b, off + Layouts.Tuple.DADDR + 8),
                Short.toUnsignedInt(b.getShort(off + Layouts.Tuple.DPORT)));
    }

    private static long be(ByteBuffer b, int off) {
        long v = b.getLong(off);
        return b.order() == java.nio.ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
    }

    public boolean isKnown() {
        return family == AF_INET || family == AF_INET6;
    }

    /** "ipv4" or "ipv6" (an IPv4-mapped address on an IPv6 socket counts as IPv6). */
    public String familyName() {
        return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "unknown";
    }

    public String src() {
        return endpoint(srcHi, srcLo, sport);
    }

    public String dst() {
        return endpoint(dstHi, dstLo, dport);
    }

    public String srcAddress() {
        return address(srcHi, srcLo);
    }

    public String dstAddress() {
        return address(dstHi, dstLo);
    }

    /** The same endpoints, the other way round. */
    public Tuple reversed() {
        return new Tuple(family, dstHi, dstLo, dport, srcHi, srcLo, sport);
    }

    private String endpoint(long hi, long lo, int port) {
        String a = address(hi, lo);
        return family == AF_INET ? a + ":" + port : "[" + a + "]:" + port;
    }

    private String address(long hi, long lo) {
        if (family == AF_INET) {
            return ipv4((int) lo);
        }
        return Ip.formatIpv6(hi, lo);
    }

    static String ipv4(int v) {
        return ((v >>> 24) & 0xFF) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF) + "." + (v & 0xFF);
    }
}
