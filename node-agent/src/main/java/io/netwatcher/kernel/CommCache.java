package io.netwatcher.kernel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Turns 16-byte task comm fields into Strings without allocating for the names seen before
 * (a small direct-mapped cache keyed by the two 8-byte halves).
 */
final class CommCache {
    private static final int SLOTS = 256;
    private final long[] lo = new long[SLOTS];
    private final long[] hi = new long[SLOTS];
    private final String[] names = new String[SLOTS];

    String get(ByteBuffer b, int off) {
        long a = b.getLong(off);
        long c = b.getLong(off + 8);
        if (a == 0) {
            return "";
        }
        int slot = (int) ((a * 0x9E3779B97F4A7C15L ^ c) >>> 56) & (SLOTS - 1);
        String s = names[slot];
        if (s != null && lo[slot] == a && hi[slot] == c) {
            return s;
        }
        int n = 0;
        while (n < Layouts.COMM_LEN && b.get(off + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        b.get(off, bytes);
        s = new String(bytes, StandardCharsets.UTF_8);
        lo[slot] = a;
        hi[slot] = c;
        names[slot] = s;
        return s;
    }
}
