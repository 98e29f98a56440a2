package io.netwatcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class Cgroup2MountTest {
    @Test
    void unifiedHost() {
        List<String> m = List.of(
                "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw",
                "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - cgroup2 cgroup2 rw,nsdelegate");
        assertEquals(Path.of("/sys/fs/cgroup"), Cgroup2Mount.parse(m).orElseThrow());
    }

    @Test
    void hybridHostWithV1Controllers() {
        List<String> m = List.of(
                "25 22 0:23 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755",
                "26 25 0:24 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw",
                "27 25 0:25 / /sys/fs/cgroup/memory rw shared:6 - cgroup cgroup rw,memory");
        assertEquals(Path.of("/sys/fs/cgroup/unified"), Cgroup2Mount.parse(m).orElseThrow());
    }

    @Test
    void prefersTheWholeHierarchyAndUnescapesPaths() {
        List<String> m = List.of(
                "40 30 0:26 /kubepods.slice /host/pod\\040cg rw - cgroup2 cgroup2 rw",
                "41 30 0:26 / /host/sys\\040fs/cgroup rw - cgroup2 cgroup2 rw");
        assertEquals(Path.of("/host/sys fs/cgroup"), Cgroup2Mount.parse(m).orElseThrow());
        assertEquals(Path.of("/host/pod cg"), Cgroup2Mount.parse(m.subList(0, 1)).orElseThrow(),
                "a namespaced mount when it is all there is");
    }

    @Test
    void noCgroup2() {
        assertTrue(Cgroup2Mount.parse(List.of("25 22 0:23 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu")).isEmpty());
    }
}
