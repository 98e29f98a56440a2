package io.netwatcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The capabilities the agent needs to start, and which of them this process lacks (from the
 * effective set in /proc/self/status), to turn libbpf's bare EPERM into advice.
 */
final class Capabilities {
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_PERFMON = 38;
    static final int CAP_BPF = 39;

    private Capabilities() {
    }

    /** The effective capability set of this process, or -1 when it cannot be read. */
    static long effective(Path procStatus) {
        try {
            for (String line : Files.readAllLines(procStatus)) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * What of CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN is missing from {@code effective}
     * (CAP_SYS_ADMIN also grants what CAP_BPF and CAP_PERFMON do).
     */
    static List<String> missing(long effective) {
        List<String> out = new ArrayList<>();
        boolean sysAdmin = has(effective, CAP_SYS_ADMIN);
        if (!sysAdmin && !has(effective, CAP_BPF)) {
            out.add("CAP_BPF");
        }
        if (!sysAdmin && !has(effective, CAP_PERFMON)) {
            out.add("CAP_PERFMON");
        }
        if (!has(effective, CAP_NET_ADMIN)) {
            out.add("CAP_NET_ADMIN");
        }
        if (!sysAdmin) {
            out.add("CAP_SYS_ADMIN");
        }
        return out;
    }

    private static boolean has(long set, int cap) {
        return (set & (1L << cap)) != 0;
    }

    /**
     * Advice to add to a start failure that says "Operation not permitted" (EPERM), or "" for any
     * other failure.
     */
    static String advice(String failure, long effective) {
        if (failure == null || !failure.contains("Operation not permitted") && !failure.contains("Permission denied")) {
            return "";
        }
        String needs = "the agent needs root, or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN"
                + " (and CAP_SYS_RESOURCE on kernels before 5.11; docs/install.md)";
        if (effective < 0) {
            return "; " + needs;
        }
        List<String> missing = missing(effective);
        if (missing.isEmpty()) {
            return "; " + needs + ", which this process has: a seccomp profile, an LSM or kernel lockdown may refuse"
                    + " bpf()";
        }
        return "; " + needs + ": this process lacks " + String.join(", ", missing);
    }
}
