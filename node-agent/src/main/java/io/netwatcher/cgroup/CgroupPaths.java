package io.netwatcher.cgroup;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Resolves cgroup v2 ids (as bpf_get_current_cgroup_id / the socket's cgroup give them: the
 * inode number of the cgroup directory) to paths under the cgroup2 mount, e.g.
 * {@code /kubepods.slice/kubepods-burstable.slice/...}. Paths are cached by id; a miss rescans
 * the hierarchy, at most once per {@code minRescanNs}, so a cgroup created after the last scan
 * is found on a later lookup rather than remembered as unknown. An id above every id the last
 * scan saw is a cgroup created since (the kernel numbers new cgroups upwards): it rescans at
 * once, so a new pod's first events are not left without their pod.
 */
public final class CgroupPaths {
    private final Path root;
    private final Map<Long, String> byId = new ConcurrentHashMap<>();
    private final long minRescanNs;
    private final LongSupplier clock;
    private volatile long lastScanNs = Long.MIN_VALUE / 2;
    private volatile long maxSeenId;
    private volatile int scans;

    public CgroupPaths(Path root, long minRescanNs, LongSupplier clock) {
        this.root = root;
        this.minRescanNs = minRescanNs;
        this.clock = clock;
    }

    public CgroupPaths(Path root) {
        this(root, 1_000_000_000L, System::nanoTime);
    }

    public Path root() {
        return root;
    }

    /** The path of cgroup {@code id} relative to the mount ("/" for the root), if it exists. */
    public Optional<String> path(long id) {
        if (id == 0) {
            return Optional.empty();
        }
        String p = byId.get(id);
        if (p != null) {
            return Optional.of(p);
        }
        long now = clock.getAsLong();
        if (now - lastScanNs >= minRescanNs || Long.compareUnsigned(id, maxSeenId) > 0) {
            rescan(now, id);
            p = byId.get(id);
            if (p == null) {
                raiseMaxSeen(id); // gone already: its later misses wait for the interval
            }
        }
        return Optional.ofNullable(p);
    }

    /** Forgets a cgroup (it was removed); a later lookup rescans. */
    public void forget(long id) {
        byId.remove(id);
    }

    public int size() {
        return byId.size();
    }

    /** How many times the hierarchy was walked. */
    public int scans() {
        return scans;
    }

    private synchronized void raiseMaxSeen(long id) {
        if (Long.compareUnsigned(id, maxSeenId) > 0) {
            maxSeenId = id;
        }
    }

    private synchronized void rescan(long now, long id) {
        if (now - lastScanNs < minRescanNs && Long.compareUnsigned(id, maxSeenId) <= 0) {
            return;
        }
        lastScanNs = now;
        scans++;
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Object ino = Files.getAttribute(dir, "unix:ino");
                    String rel = "/" + root.relativize(dir).toString();
                    long n = ((Number) ino).longValue();
                    byId.put(n, rel.equals("/") ? "/" : rel);
                    raiseMaxSeen(n);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE; // removed while walking
                }
            });
        } catch (IOException e) {
            // root vanished or unreadable: keep what we have
        }
    }
}
