package io.netwatcher.names;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Kernel text symbols from /proc/kallsyms, to name the code that dropped a packet
 * ({@code nf_hook_slow+0x9c}). Loaded on first use; addresses read as zero (no privilege)
 * leave locations in hex.
 *
 * <p>A kernel has over 100,000 text symbols: they are kept as one sorted array of addresses and
 * the names packed in one byte array (about 4.5 MiB; a String per name took 11 MiB of heap).
 */
public final class KernelSymbols {
    /** Addresses with the sign bit flipped (so signed order is unsigned order), ascending. */
    private final long[] keys;
    /** Name i is the bytes of {@link #names} from nameStart[i] to nameStart[i + 1]. */
    private final int[] nameStart;
    private final byte[] names;

    private KernelSymbols(long[] keys, int[] nameStart, byte[] names) {
        this.keys = keys;
        this.nameStart = nameStart;
        this.names = names;
    }

    public static KernelSymbols load(Path kallsyms) {
        Builder b = new Builder();
        try (BufferedReader r = Files.newBufferedReader(kallsyms, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = r.readLine()) != null) {
                int s1 = line.indexOf(' ');
                int s2 = line.indexOf(' ', s1 + 1);
                if (s1 <= 0 || s2 < 0) {
                    continue;
                }
                char type = line.charAt(s1 + 1);
                if (type != 't' && type != 'T') {
                    continue;
                }
                long addr = Long.parseUnsignedLong(line, 0, s1, 16);
                if (addr == 0) {
                    continue;
                }
                int end = line.indexOf('\t', s2 + 1);
                b.add(addr, line, s2 + 1, end < 0 ? line.length() : end);
            }
        } catch (IOException | RuntimeException e) {
            return new KernelSymbols(new long[0], new int[1], new byte[0]);
        }
        return b.build();
    }

    /** Collects symbols in file order, then sorts them by address. */
    private static final class Builder {
        private long[] keys = new long[1 << 12];
        private int[] start = new int[1 << 12];
        private byte[] bytes = new byte[1 << 16];
        private int n;
        private int used;

        void add(long addr, String line, int from, int to) {
            if (n + 1 >= keys.length) {
                keys = Arrays.copyOf(keys, keys.length * 2);
                start = Arrays.copyOf(start, start.length * 2);
            }
            int len = to - from;
            if (used + len > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, used + len));
            }
            for (int i = 0; i < len; i++) {
                bytes[used + i] = (byte) line.charAt(from + i); // kallsyms names are ASCII
            }
            keys[n] = addr ^ Long.MIN_VALUE;
            start[n] = used;
            used += len;
            n++;
        }

        KernelSymbols build() {
            start[n] = used;
            // Sort symbol indices by address: kallsyms lists the core kernel in order, modules not.
            boolean sorted = true;
            for (int i = 0; i < n; i++) {
                sorted &= i == 0 || keys[i - 1] <= keys[i];
            }
            long[] k = new long[n];
            int[] s = new int[n + 1];
            byte[] names = new byte[used];
            if (sorted) {
                System.arraycopy(keys, 0, k, 0, n);
                System.arraycopy(start, 0, s, 0, n + 1);
                System.arraycopy(bytes, 0, names, 0, used);
                return new KernelSymbols(k, s, names);
            }
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (a, c) -> Long.compare(keys[a], keys[c]));
            int at = 0;
            for (int i = 0; i < n; i++) {
                int j = idx[i];
                int len = start[j + 1] - start[j];
                k[i] = keys[j];
                s[i] = at;
                System.arraycopy(bytes, start[j], names, at, len);
                at += len;
            }
            s[n] = at;
            return new KernelSymbols(k, s, names);
        }
    }

    /** {@code name+0xoff} for a kernel text address, or {@code 0x...} when unknown. */
    public String describe(long addr) {
        long key = addr ^ Long.MIN_VALUE;
        if (keys.length == 0 || key < keys[0]) {
            return "0x" + Long.toHexString(addr);
        }
        int i = Arrays.binarySearch(keys, key);
        int idx = i >= 0 ? i : -i - 2;
        return new String(names, nameStart[idx], nameStart[idx + 1] - nameStart[idx], StandardCharsets.ISO_8859_1)
                + "+0x" + Long.toHexString(addr - (keys[idx] ^ Long.MIN_VALUE));
    }

    /**
     * The address ranges [start, end) of a function: its symbol and the compiler's clones of it
     * ({@code name.isra.0}, {@code name.cold}), each up to the next symbol. Empty when unknown.
     */
    public List<long[]> ranges(String function) {
        byte[] exact = function.getBytes(StandardCharsets.ISO_8859_1);
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < keys.length; i++) {
            if (nameIs(i, exact)) {
                long start = keys[i] ^ Long.MIN_VALUE;
                long end = i + 1 < keys.length ? keys[i + 1] ^ Long.MIN_VALUE : start + 1;
                out.add(new long[] {start, Long.compareUnsigned(end, start) > 0 ? end : start + 1});
            }
        }
        return out;
    }

    /** Whether symbol i is {@code function} or a clone of it ({@code function.suffix}). */
    private boolean nameIs(int i, byte[] function) {
        int from = nameStart[i];
        int len = nameStart[i + 1] - from;
        if (len < function.length || len > function.length && names[from + function.length] != '.') {
            return false;
        }
        return Arrays.equals(names, from, from + function.length, function, 0, function.length);
    }

    public int size() {
        return keys.length;
    }
}
