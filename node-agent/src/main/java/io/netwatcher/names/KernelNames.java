package io.netwatcher.names;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * The running kernel's names an output needs beyond an event: drop reasons (from its BTF) and the
 * symbol at a kernel address (from /proc/kallsyms, read on first use).
 */
public final class KernelNames {
    private final DropReasons reasons;
    private final LongFunction<String> symbolAt;

    /** Drop reasons, and symbols from /proc/kallsyms. */
    public KernelNames(DropReasons reasons) {
        this(reasons, new LongFunction<>() {
            private volatile KernelSymbols symbols;

            @Override
            public String apply(long address) {
                KernelSymbols s = symbols;
                if (s == null) {
                    s = KernelSymbols.load(Path.of("/proc/kallsyms"));
                    symbols = s;
                }
                return s.describe(address);
            }
        });
    }

    /** @param symbolAt {@code name+0xoff} for a kernel text address (tests name their own) */
    public KernelNames(DropReasons reasons, LongFunction<String> symbolAt) {
        this.reasons = Objects.requireNonNull(reasons, "reasons");
        this.symbolAt = Objects.requireNonNull(symbolAt, "symbolAt");
    }

    /** The kernel's name of a drop reason ({@code REASON_<n>} for one it does not name). */
    public String dropReason(int reason) {
        return reasons.name(reason);
    }

    /** {@code name+0xoff} for a kernel text address, or {@code 0x...} when unknown. */
    public String kernelSymbol(long address) {
        return symbolAt.apply(address);
    }
}
