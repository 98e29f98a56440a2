package io.netwatcher.kube;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * An IP address as two longs, in the form event tuples carry them (IPv4 as ::ffff:a.b.c.d), so
 * lookups from events need no text formatting.
 */
public record IpKey(long hi, long lo) {
    /** Parses an IP literal (as the API server reports pod and service IPs); null if it is not one. */
    public static IpKey parse(String literal) {
        if (literal == null || literal.isEmpty() || literal.equals("None")) {
            return null;
        }
        char c = literal.charAt(0);
        if (!(Character.isDigit(c) || c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return null; // never a DNS lookup
        }
        try {
            byte[] b = InetAddress.getByName(literal).getAddress();
            if (b.length == 4) {
                return new IpKey(0, 0x0000FFFF00000000L | (ByteBuffer.wrap(b).getInt() & 0xFFFFFFFFL));
            }
            ByteBuffer bb = ByteBuffer.wrap(b);
            return new IpKey(bb.getLong(), bb.getLong());
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
