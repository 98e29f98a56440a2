package io.netwatcher.identity;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup of a network namespace: the cgroup v2 id of the oldest process in it (a pod's
 * sandbox or first container) that is not in the root cgroup, for what the kernel saw with no
 * socket (an echo request it answered, an ICMP error it received). 0 for the agent's own namespace
 * (the host's: the node itself), {@link #UNKNOWN} for a namespace with no such process (gone, or
 * not placed yet). Found by walking /proc (each process's ns/net and cgroup); the walk is
 * cached and redone on a miss at most once a second, and at least every minute.
 */
public final class NetnsCgroups implements LongUnaryOperator {
    /** A namespace no process of a cgroup is in (gone, or not placed yet). */
    public static final long UNKNOWN = -1;

    private static final Logger LOG = LoggerFactory.getLogger(NetnsCgroups.class);
    private static final long MISS_RESCAN_NS = 1_000_000_000L;
    private static final long MAX_AGE_NS = 60_000_000_000L;

    private final Path proc;
    private final Path cgroupRoot;
    private final LongSupplier clock;
    private Map<Long, Long> byNetns = Map.of();
    private long hostNetns;
    private long scannedAt;
    private boolean scanned;

    /**
     * @param proc       the proc mount (/proc)
     * @param cgroupRoot the cgroup2 mount
     * @param clock      monotonic nanoseconds
     */
    public NetnsCgroups(Path proc, Path cgroupRoot, LongSupplier clock) {
        this.proc = Objects.requireNonNull(proc, "proc");
        this.cgroupRoot = Objects.requireNonNull(cgroupRoot, "cgroupRoot");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The cgroup of network namespace {@code netns} (an inode number): 0 for the host's, else UNKNOWN when none. */
    @Override
    public synchronized long applyAsLong(long netns) {
        if (netns == 0) {
            return UNKNOWN;
        }
        long now = clock.getAsLong();
        if (!scanned || now - scannedAt > MAX_AGE_NS || (!byNetns.containsKey(netns) && now - scannedAt > MISS_RESCAN_NS)) {
            scan(now);
        }
        if (netns == hostNetns) {
            return 0;
        }
        return byNetns.getOrDefault(netns, UNKNOWN);
    }

    private void scan(long now) {
        Map<Long, Long> found = new HashMap<>();
        Map<Long, Integer> oldest = new HashMap<>();
        hostNetns = netnsOf(proc.resolve("self")); // the agent's: the host's (hostNetwork)
        long rootId = inode(cgroupRoot);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path dir : dirs) {
                long ns = netnsOf(dir);
                if (ns == 0 || ns == hostNetns) {
                    continue;
                }
                int pid = Integer.parseInt(dir.getFileName().toString());
                Integer seen = oldest.get(ns);
                if (seen != null && seen < pid) {
                    continue;
                }
                long cg = cgroupOf(dir);
                if (cg != 0 && cg != rootId) {
                    oldest.put(ns, pid);
                    found.put(ns, cg);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", proc, e.toString());
        }
        byNetns = found;
        scannedAt = now;
        scanned = true;
    }

    private static long inode(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    private static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The inode of a process's network namespace ("net:[4026531840]"), 0 when it is gone or hidden. */
    private static long netnsOf(Path pidDir) {
        try {
            String link = Files.readSymbolicLink(pidDir.resolve("ns/net")).toString();
            int open = link.indexOf('[');
            int close = link.indexOf(']');
            return open < 0 || close < open ? 0 : Long.parseLong(link.substring(open + 1, close));
        } catch (IOException | NumberFormatException e) {
            return 0; // the process exited, or is not ours to look at: not a namespace we can place
        }
    }

    /** The cgroup v2 id (directory inode) of a process, 0 when it is gone or not in a v2 hierarchy. */
    private long cgroupOf(Path pidDir) {
        try {
            for (String line : Files.readAllLines(pidDir.resolve("cgroup"))) {
                if (line.startsWith("0::")) {
                    String rel = line.substring(3);
                    return inode(cgroupRoot.resolve(rel.startsWith("/") ? rel.substring(1) : rel));
                }
            }
        } catch (IOException e) {
            return 0; // exited between the namespace and the cgroup read
        }
        return 0;
    }
}
