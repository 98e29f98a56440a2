package io.netwatcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ids are directory inodes, as cgroup v2 ids are; a temp tree stands in for the mount. */
class CgroupPathsTest {
    private static long ino(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }

    @Test
    void resolvesIdsAndFindsCgroupsCreatedLaterAfterTheRescanInterval(@TempDir Path root) throws Exception {
        Path pod = Files.createDirectories(root.resolve("kubepods.slice/kubepods-pod1.slice"));
        AtomicLong now = new AtomicLong(0);
        CgroupPaths paths = new CgroupPaths(root, 1000, now::get);
        assertEquals("/kubepods.slice/kubepods-pod1.slice", paths.path(ino(pod)).orElseThrow());
        assertEquals("/", paths.path(ino(root)).orElseThrow());
        assertEquals(1, paths.scans());

        // A missing id at or below the highest one seen (a removed cgroup's): no rescan before the interval.
        long[] ids = {ino(root), ino(pod.getParent()), ino(pod)};
        long seen = Math.max(ids[0], Math.max(ids[1], ids[2]));
        long removed = Math.min(ids[0], Math.min(ids[1], ids[2])) - 1;
        assertTrue(paths.path(removed).isEmpty());
        assertEquals(1, paths.scans(), "misses below the highest id do not rescan more often than the interval");
        // An id above every one seen is a cgroup created since (the kernel numbers them upwards): at once.
        assertTrue(paths.path(seen + 1_000_000).isEmpty());
        assertEquals(2, paths.scans(), "an id above the highest seen rescans at once");
        assertTrue(paths.path(seen + 1_000_000).isEmpty());
        assertEquals(2, paths.scans(), "and once: not found, it counts as seen");

        Path later = Files.createDirectories(root.resolve("kubepods.slice/kubepods-pod2.slice"));
        now.addAndGet(1000);
        assertEquals("/kubepods.slice/kubepods-pod2.slice", paths.path(ino(later)).orElseThrow(),
                "a cgroup that appeared later is found, not remembered as unknown");
        assertTrue(paths.path(0).isEmpty());
    }
}
