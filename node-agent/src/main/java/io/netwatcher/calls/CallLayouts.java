package io.netwatcher.calls;

/**
 * Offsets of bpf/calls.h mirrored in Java; {@code CallLayoutsTest} checks them against the
 * compiled calls.bpf.o's BTF.
 */
final class CallLayouts {
    private CallLayouts() {}

    /** struct nw_call_key: one counter's key. */
    static final class Key {
        static final String STRUCT = "nw_call_key";
        static final int SIZE = 32;
        static final int CGROUP_ID = 0;
        static final int TGID = 8;
        static final int FUNC = 12;
        static final int COMM = 16;
        static final int COMM_LEN = 16;

        private Key() {}
    }

    /** Index of call_stats: calls not counted because call_counts was full (enum nw_calls_stat). */
    static final int STAT_FULL = 0;
}
