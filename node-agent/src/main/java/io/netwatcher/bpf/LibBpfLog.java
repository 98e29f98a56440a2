package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes libbpf's own messages (warnings, info, debug) to the agent's log. */
final class LibBpfLog {
    private static final Logger LOG = LoggerFactory.getLogger("libbpf");
    private static final LibBpf.PrintFn PRINT = LibBpfLog::print;
    private static volatile boolean installed;

    private LibBpfLog() {}

    static synchronized void install() {
        if (!installed) {
            LibBpf.libbpf_set_print(PRINT);
            installed = true;
        }
    }

    private static int print(int level, Pointer format, Pointer args) {
        // LIBBPF_WARN = 0, LIBBPF_INFO = 1, LIBBPF_DEBUG = 2
        if (level == 2 && !LOG.isDebugEnabled() || level == 1 && !LOG.isInfoEnabled()) {
            return 0;
        }
        Memory buf = new Memory(2048);
        int n = Libc.vsnprintf(buf, buf.size(), format, args);
        if (n < 0) {
            return 0;
        }
        String msg = buf.getString(0).stripTrailing();
        if (level == 0) {
            LOG.warn("{}", msg);
        } else if (level == 1) {
            LOG.info("{}", msg);
        } else {
            LOG.debug("{}", msg);
        }
        return n;
    }
}
