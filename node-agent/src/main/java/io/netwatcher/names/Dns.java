package io.netwatcher.names;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * DNS names and numbers: a query name from its wire format, and the mnemonics of response codes
 * (RFC 1035, 2136, 6895) and common query types (IANA "Resource Record (RR) TYPEs").
 */
public final class Dns {
    private static final String[] RCODES = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI"};
    private static final Map<Integer, String> TYPES = Map.ofEntries(Map.entry(1, "A"), Map.entry(2, "NS"),
            Map.entry(5, "CNAME"), Map.entry(6, "SOA"), Map.entry(12, "PTR"), Map.entry(15, "MX"),
            Map.entry(16, "TXT"), Map.entry(28, "AAAA"), Map.entry(33, "SRV"), Map.entry(35, "NAPTR"),
            Map.entry(41, "OPT"), Map.entry(43, "DS"), Map.entry(46, "RRSIG"), Map.entry(48, "DNSKEY"),
            Map.entry(64, "SVCB"), Map.entry(65, "HTTPS"), Map.entry(99, "SPF"), Map.entry(255, "ANY"),
            Map.entry(257, "CAA"));

    private Dns() {}

    /** A response code's mnemonic (NOERROR, NXDOMAIN, ...), else the number. */
    public static String rcode(int rcode) {
        return rcode >= 0 && rcode < RCODES.length ? RCODES[rcode] : Integer.toString(rcode);
    }

    /** A query type's mnemonic (A, AAAA, ...), else {@code TYPE<n>} (RFC 3597). */
    public static String qtype(int qtype) {
        String t = TYPES.get(qtype);
        return t != null ? t : "TYPE" + qtype;
    }

    /**
     * The dotted name of {@code len} bytes of wire format at {@code off} (length-prefixed labels,
     * 0-terminated): "" for none, "." for the root. Label bytes outside printable ASCII, dots and
     * backslashes are escaped as {@code \DDD} (RFC 4343).
     */
    public static String name(ByteBuffer b, int off, int len) {
        if (len <= 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        int pos = 0;
        while (pos < len) {
            int l = Byte.toUnsignedInt(b.get(off + pos));
            if (l == 0) {
                break;
            }
            if (l > 63 || pos + 1 + l > len) {
                throw new IllegalArgumentException("malformed DNS name: label of " + l + " at " + pos + " of " + len);
            }
            for (int i = 0; i < l; i++) {
                int c = Byte.toUnsignedInt(b.get(off + pos + 1 + i));
                if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\') {
                    sb.append('\\').append(String.format("%03d", c));
                } else {
                    sb.append((char) c);
                }
            }
            sb.append('.');
            pos += 1 + l;
        }
        return sb.length() == 0 ? "." : sb.substring(0, sb.length() - 1);
    }
}
