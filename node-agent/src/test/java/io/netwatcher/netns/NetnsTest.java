package io.netwatcher.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetnsTest {
    @Test
    void findsNamespacesOncePerInode(@TempDir Path dir) throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path run = Files.createDirectories(dir.resolve("run"));
        Path shared = Files.createFile(run.resolve("pod-a"));
        Files.createDirectories(proc.resolve("1/ns"));
        Files.createDirectories(proc.resolve("2/ns"));
        Files.createDirectories(proc.resolve("self/ns"));
        Files.createLink(proc.resolve("1/ns/net"), shared); // same inode as /run/netns/pod-a
        Files.createFile(proc.resolve("2/ns/net"));
        Files.createFile(proc.resolve("self/ns/net"));
        Map<Long, Path> found = new Netns(proc, run).scan();
        assertEquals(2, found.size(), "pid 1 shares pod-a's namespace; 'self' is not a pid: " + found);
        assertEquals(shared, found.get(Netns.inode(shared)));
        assertTrue(found.containsValue(proc.resolve("2/ns/net")));
    }
}
