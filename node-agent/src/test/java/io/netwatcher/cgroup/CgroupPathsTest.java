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

        Path later = Files.createDirectories(root.resolve("kubepods.slice/kubepods-pod2.slice"));
        assertTrue(paths.path(ino(later)).isEmpty(), "not found before the rescan interval passed");
        assertEquals(1, paths.scans(), "misses do not rescan more often than the interval");
        now.addAndGet(1000);
        assertEquals("/kubepods.slice/kubepods-pod2.slice", paths.path(ino(later)).orElseThrow(),
                "a cgroup that appeared later is found, not remembered as unknown");
        assertTrue(paths.path(0).isEmpty());
    }
}
