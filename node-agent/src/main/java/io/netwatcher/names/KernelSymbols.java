package io.netwatcher.names;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Kernel text symbols from /proc/kallsyms, to name the code that dropped a packet
 * ({@code nf_hook_slow+0x9c}). Loaded on first use; addresses read as zero (no privilege)
 * leave locations in hex.
 */
public final class KernelSymbols {
    private final long[] addrs;
    private final String[] names;

    KernelSymbols(long[] addrs, String[] names) {
        this.addrs = addrs;
        this.names = names;
    }

    public static KernelSymbols load(Path kallsyms) {
        record Sym(long addr, String name) {
        }
        List<Sym> syms = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(kallsyms)) {
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
                long addr = Long.parseUnsignedLong(line.substring(0, s1), 16);
                if (addr == 0) {
                    continue;
                }
                int end = line.indexOf('\t', s2 + 1);
                syms.add(new Sym(addr, end < 0 ? line.substring(s2 + 1) : line.substring(s2 + 1, end)));
            }
        } catch (IOException | RuntimeException e) {
            return new KernelSymbols(new long[0], new String[0]);
        }
        syms.sort(Comparator.comparingLong(s -> s.addr() ^ Long.MIN_VALUE));
        long[] a = new long[syms.size()];
        String[] n = new String[syms.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = syms.get(i).addr();
            n[i] = syms.get(i).name();
        }
        return new KernelSymbols(a, n);
    }

    /** {@code name+0xoff} for a kernel text address, or {@code 0x...} when unknown. */
    public String describe(long addr) {
        if (addrs.length == 0 || Long.compareUnsigned(addr, addrs[0]) < 0) {
            return "0x" + Long.toHexString(addr);
        }
        int i = Arrays.binarySearch(flip(), addr ^ Long.MIN_VALUE);
        int idx = i >= 0 ? i : -i - 2;
        return names[idx] + "+0x" + Long.toHexString(addr - addrs[idx]);
    }

    /**
     * The address ranges [start, end) of a function: its symbol and the compiler's clones of it
     * ({@code name.isra.0}, {@code name.cold}), each up to the next symbol. Empty when unknown.
     */
    public List<long[]> ranges(String function) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(function) || names[i].startsWith(function + ".")) {
                long end = i + 1 < addrs.length ? addrs[i + 1] : addrs[i] + 1;
                out.add(new long[] {addrs[i], Long.compareUnsigned(end, addrs[i]) > 0 ? end : addrs[i] + 1});
            }
        }
        return out;
    }

    private long[] flipped;

    private long[] flip() {
        if (flipped == null) {
            long[] f = new long[addrs.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = addrs[i] ^ Long.MIN_VALUE;
            }
            flipped = f;
        }
        return flipped;
    }

    public int size() {
        return addrs.length;
    }
}
