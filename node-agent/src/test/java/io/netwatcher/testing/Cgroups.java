package io.netwatcher.testing;

import io.netwatcher.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Cgroup v2 directories created by a test under the real cgroup2 mount (kubelet-shaped paths),
 * removed again by {@link #close()} once their processes have exited.
 */
public final class Cgroups implements AutoCloseable {
    private final Path root;
    private final Deque<Path> created = new ArrayDeque<>();
    /** Existing parents of what this created (e.g. left by an interrupted run): removed too once empty. */
    private final Set<Path> parents = new LinkedHashSet<>();

    public Cgroups() {
        this.root = Cgroup2Mount.find().orElseThrow(() -> new IllegalStateException("no cgroup2 mount"));
    }

    public Path root() {
        return root;
    }

    /** Creates {@code relative} (and its missing parents) under the mount; returns the full path. */
    public Path create(String relative) throws IOException {
        Path p = root;
        for (String part : relative.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            p = p.resolve(part);
            if (!Files.isDirectory(p)) {
                Files.createDirectory(p);
                created.push(p);
            } else if (!p.equals(root.resolve(relative).normalize())) {
                parents.add(p);
            }
        }
        return p;
    }

    /** The cgroup id (inode) of a cgroup directory. */
    public static long id(Path cgroup) throws IOException {
        return ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
    }

    /** Starts {@code cmd} inside {@code cgroup} and the network namespace {@code netns}. */
    public static Process startIn(Path cgroup, String netns, String... cmd) throws IOException {
        String exec = String.join(" ", cmd);
        return new ProcessBuilder("sh", "-c", "echo $$ > '" + cgroup.resolve("cgroup.procs") + "' && exec ip netns exec "
                + netns + " " + exec).redirectErrorStream(true).start();
    }

    @Override
    public void close() {
        while (!created.isEmpty()) {
            Path p = created.pop();
            for (int i = 0; i < 50; i++) {
                try {
                    Files.deleteIfExists(p); // rmdir: only once no process is left in it
                    break;
                } catch (IOException e) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
        List<Path> deepestFirst = new ArrayList<>(parents);
        Collections.reverse(deepestFirst);
        for (Path p : deepestFirst) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // EBUSY: another test's cgroup or a process is still in it; its owner removes it
            }
        }
    }
}
