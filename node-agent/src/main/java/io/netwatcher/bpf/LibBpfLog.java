package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes libbpf's own messages (warnings, info, debug) to the agent's log. Warnings that say
 * nothing to an operator are demoted to debug: those of feature probes (a program loaded only to
 * learn whether the kernel allows it, inside {@link #quiet()}: the agent reports the outcome per
 * boundary itself), and libbpf's guesses about the locked-memory limit ("try raising 'ulimit -l'",
 * "RLIMIT_MEMLOCK") after EPERM, wrong on kernels since 5.11, which charge BPF memory to the cgroup:
 * the agent's own start failure names the missing capability instead.
 */
public final class LibBpfLog {
    private static final Logger LOG = LoggerFactory.getLogger("libbpf");
    private static final LibBpf.PrintFn PRINT = LibBpfLog::print;
    private static final ThreadLocal<int[]> QUIET = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile boolean installed;

    private LibBpfLog() {}


    static synchronized void install() {
        if (!installed) {
            LibBpf.libbpf_set_print(PRINT);
            installed = true;
        }
    }

    /**
     * Runs {@code work} with libbpf's warnings on this thread logged at debug (feature probes, whose
     * failure is an answer, not a problem).
     */
    public static <T> T quietly(Supplier<T> work) {
        int[] depth = QUIET.get();
        depth[0]++;
        try {
            return work.get();
        } finally {
            depth[0]--;
        }
    }

    /** The level a libbpf message is logged at: 0 warn, 1 info, 2 debug. */
    static int level(int libbpfLevel, String msg, boolean quiet) {
        if (libbpfLevel == 0 && (quiet || msg.contains("ulimit -l") || msg.contains("RLIMIT_MEMLOCK"))) {
            return 2;
        }
        return libbpfLevel;
    }

    private static int print(int level, Pointer format, Pointer args) {
        // LIBBPF_WARN = 0, LIBBPF_INFO = 1, LIBBPF_DEBUG = 2
        boolean quiet = QUIET.get()[0] > 0;
        if (level == 2 && !LOG.isDebugEnabled() || level == 1 && !LOG.isInfoEnabled()
                || quiet && !LOG.isDebugEnabled()) {
            return 0;
        }
        Memory buf = new Memory(2048);
        int n = Libc.vsnprintf(buf, buf.size(), format, args);
        if (n < 0) {
            return 0;
        }
        String msg = buf.getString(0).stripTrailing();
        switch (level(level, msg, quiet)) {
            case 0 -> LOG.warn("{}", msg);
            case 1 -> LOG.info("{}", msg);
            default -> LOG.debug("{}", msg);
        }
        return n;
    }
}
