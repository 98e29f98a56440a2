package io.netwatcher.event;

/**
 * Two TCP/UDP endpoints: source and destination. Addresses are 16 bytes (IPv4 mapped into
 * IPv6 as ::ffff:a.b.c.d), kept as two big-endian longs each so tuples are cheap values.
 */
public record Tuple(int family, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport) {
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    public static final Tuple NONE = new Tuple(0, 0, 0, 0, 0, 0, 0);

    /**
     * Endpoints as the kernel recorded them. An IPv6 socket talking to an IPv4 peer (both
     * addresses IPv4-mapped) is reported as IPv4: that is the traffic on the wire.
     */
    public static Tuple of(int family, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport) {
        if (family == AF_INET6 && isMapped(srcHi, srcLo) && isMapped(dstHi, dstLo)) {
            family = AF_INET;
        }
        return new Tuple(family, srcHi, srcLo, sport, dstHi, dstLo, dport);
    }

    static boolean isMapped(long hi, long lo) {
        return hi == 0 && (lo >>> 32) == 0xFFFFL;
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
