package io.netwatcher.calls;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which kernel functions to count calls of ({@code --count-calls}), and the size of the kernel's
 * counter map. Empty: no call counting, and its object is never loaded.
 *
 * @param functions  kernel function names, in the order given, no duplicates
 * @param maxEntries entries of the counter map: (cgroup, process, function, comm) keys it can hold
 */
public record CallsConfig(List<String> functions, int maxEntries) {
    /** At most this many functions (the attach cookie indexes them; each is a kprobe link). */
    public static final int MAX_FUNCTIONS = 32;
    public static final int DEFAULT_MAX_ENTRIES = 16384;
    public static final int MAX_MAX_ENTRIES = 1 << 20;
    /** No call counting. */
    public static final CallsConfig NONE = new CallsConfig(List.of(), DEFAULT_MAX_ENTRIES);

    /** A kernel symbol: C identifier characters, plus the '.' of compiler clones (foo.isra.0). */
    private static final Pattern SYMBOL = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]{0,127}");

    public CallsConfig {
        Objects.requireNonNull(functions, "functions");
        functions = List.copyOf(functions);
        if (functions.size() > MAX_FUNCTIONS) {
            throw new IllegalArgumentException("at most " + MAX_FUNCTIONS + " functions, got " + functions.size());
        }
        for (String f : functions) {
            if (!SYMBOL.matcher(f).matches()) {
                throw new IllegalArgumentException("not a kernel function name: '" + f + "'");
            }
        }
        if (new LinkedHashSet<>(functions).size() != functions.size()) {
            throw new IllegalArgumentException("function named twice: " + functions);
        }
        if (maxEntries < 1 || maxEntries > MAX_MAX_ENTRIES) {
            throw new IllegalArgumentException("max entries must be 1-" + MAX_MAX_ENTRIES + ", got " + maxEntries);
        }
    }

    /** Functions given: calls are counted. */
    public boolean enabled() {
        return !functions.isEmpty();
    }

    /** As --count-calls takes them: comma-separated. */
    public String option() {
        return String.join(",", functions);
    }
}
