package io.netwatcher;

import io.netwatcher.bpf.BpfException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The capabilities the agent needs to start, and which of them this process lacks (from the
 * effective set in /proc/self/status), to turn libbpf's bare EPERM into advice, and to tell a
 * verifier rejection (EACCES with a verifier log, also for root) from a missing privilege.
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

    static final int EPERM = 1;
    static final int EACCES = 13;
    private static final Pattern ERRNO = Pattern.compile("\\(errno (\\d+)\\)");
    private static final Pattern VERIFIER = Pattern.compile("verifier log of (\\S+):");

    /**
     * Advice to add to a start failure: which privileges are missing when the kernel refused an
     * operation for lack of them (EPERM; EACCES only while this process lacks capabilities), or
     * that the verifier rejected a program (EACCES or EINVAL with a verifier log: not a privilege
     * problem, also for root); "" for any other failure.
     */
    static String advice(Throwable failure, long effective) {
        int errno = errno(failure);
        String program = verifierRejected(failure);
        List<String> missing = effective < 0 ? null : missing(effective);
        String needs = "the agent needs root, or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN"
                + " (and CAP_SYS_RESOURCE on kernels before 5.11; docs/install.md)";
        if (program != null && errno != EPERM) {
            String rejected = "; the kernel's verifier rejected program " + program + " (its log is written with"
                    + " NETWATCHER_LOG_LEVEL=DEBUG)";
            if (missing != null && !missing.isEmpty()) {
                return rejected + "; this process also lacks " + String.join(", ", missing)
                        + ", without which the verifier applies the stricter unprivileged rules: " + needs;
            }
            return rejected + ": not a missing privilege; please report it with the kernel version (uname -r)";
        }
        if (errno == EPERM) {
            if (missing == null) {
                return "; " + needs;
            }
            if (missing.isEmpty()) {
                return "; " + needs + ", which this process has: a seccomp profile, an LSM or kernel lockdown may"
                        + " refuse bpf()";
            }
            return "; " + needs + ": this process lacks " + String.join(", ", missing);
        }
        if (errno == EACCES) {
            if (missing == null) {
                return "; if the agent does not run as root: " + needs;
            }
            if (!missing.isEmpty()) {
                return "; " + needs + ": this process lacks " + String.join(", ", missing);
            }
            return "; this process has the capabilities the agent needs: an LSM (SELinux, AppArmor) or file"
                    + " permissions refused it";
        }
        return "";
    }

    /** The errno of the failure or its causes ({@code (errno N)} or the text of EPERM/EACCES), or 0. */
    static int errno(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BpfException b) {
                return b.errno();
            }
            String m = t.getMessage();
            if (m == null) {
                continue;
            }
            Matcher e = ERRNO.matcher(m);
            if (e.find()) {
                return Integer.parseInt(e.group(1));
            }
            if (m.contains("Operation not permitted")) {
                return EPERM;
            }
            if (m.contains("Permission denied")) {
                return EACCES;
            }
        }
        return 0;
    }

    /** The program whose verifier log explains the failure, or null. */
    private static String verifierRejected(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null) {
                Matcher m = VERIFIER.matcher(t.getMessage());
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }
}
