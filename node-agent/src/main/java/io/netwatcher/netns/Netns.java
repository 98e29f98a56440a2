package io.netwatcher.netns;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds network namespaces by inode: every process's /proc/PID/ns/net, and the bind mounts
 * under /run/netns (namespaces with no process, as `ip netns add` and CNI plugins make).
 */
public final class Netns {
    private final Path proc;
    private final Path runNetns;

    public Netns(Path proc, Path runNetns) {
        this.proc = proc;
        this.runNetns = runNetns;
    }

    public static Netns host() {
        return new Netns(Path.of("/proc"), Path.of("/run/netns"));
    }

    /** The inode of the namespace file at {@code path} (the namespace's id, as sk->net->ns.inum). */
    public static long inode(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:ino")).longValue();
    }

    /** Every namespace found, by inode, with one path that opens it. */
    public Map<Long, Path> scan() {
        Map<Long, Path> out = new HashMap<>();
        add(out, runNetns, false);
        add(out, proc, true);
        return out;
    }

    private static void add(Map<Long, Path> out, Path dir, boolean procDir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                Path ns = p;
                if (procDir) {
                    if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                        continue;
                    }
                    ns = p.resolve("ns/net");
                }
                try {
                    out.putIfAbsent(inode(ns), ns);
                } catch (IOException | RuntimeException e) {
                    // the process exited, or the mount went away, while we looked
                }
            }
        } catch (IOException e) {
            // unreadable directory: nothing from it
        }
    }
}
