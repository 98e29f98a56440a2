package io.netwatcher.calls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The kernel functions a kprobe can attach to: the ftrace list
 * ({@code available_filter_functions} in tracefs), or where tracefs is not mounted the text
 * symbols of {@code /proc/kallsyms} (which also lists functions ftrace refuses: the attach then
 * says so). A name in neither is misspelt, inlined everywhere, or not in this kernel.
 */
final class TraceableFunctions {
    static final List<Path> FTRACE_LISTS = List.of(Path.of("/sys/kernel/tracing/available_filter_functions"),
            Path.of("/sys/kernel/debug/tracing/available_filter_functions"));
    static final Path KALLSYMS = Path.of("/proc/kallsyms");

    private final Set<String> names;
    private final String source;

    private TraceableFunctions(Set<String> names, String source) {
        this.names = names;
        this.source = source;
    }

    /** Read from the first ftrace list that is readable, else from kallsyms. */
    static TraceableFunctions read(List<Path> ftraceLists, Path kallsyms) throws IOException {
        for (Path p : ftraceLists) {
            if (Files.isReadable(p)) {
                try (Stream<String> lines = Files.lines(p)) {
                    return new TraceableFunctions(ftraceNames(lines), p.toString());
                } catch (IOException e) {
                    // tracefs present but refused (lockdown): try the next source
                }
            }
        }
        try (Stream<String> lines = Files.lines(kallsyms)) {
            return new TraceableFunctions(textSymbols(lines), kallsyms + " (no ftrace function list)");
        }
    }

    /** "name" or "name [module]" per line (newer kernels may append an address after a tab). */
    static Set<String> ftraceNames(Stream<String> lines) {
        Set<String> out = new HashSet<>();
        lines.forEach(l -> {
            int end = 0;
            while (end < l.length() && !Character.isWhitespace(l.charAt(end))) {
                end++;
            }
            if (end > 0) {
                out.add(l.substring(0, end));
            }
        });
        return out;
    }

    /** "address type name [module]": the names of text symbols (type t or T). */
    static Set<String> textSymbols(Stream<String> lines) {
        Set<String> out = new HashSet<>();
        lines.forEach(l -> {
            String[] f = l.split("\\s+");
            if (f.length >= 3 && (f[1].equals("t") || f[1].equals("T"))) {
                out.add(f[2]);
            }
        });
        return out;
    }

    /** Why {@code function} cannot be counted, if it cannot. */
    Optional<String> problem(String function) {
        return names.contains(function) ? Optional.empty()
                : Optional.of("kernel function " + function + " is not traceable: not in " + source
                + " (misspelt, inlined, marked notrace, or not in this kernel)");
    }
}
