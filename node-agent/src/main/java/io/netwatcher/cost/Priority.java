package io.netwatcher.cost;

import io.netwatcher.bpf.Libc;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's threads run below the workloads it watches: every thread of the process (the ring
 * reader, the poller, the exporters, and the JVM's compiler and GC threads) gets a higher nice
 * value, so on a busy node the scheduler prefers the workload. Threads started later inherit it
 * from the thread that starts them. Nice values only go up: a process started with a higher one
 * keeps it.
 */
public final class Priority {
    private static final Logger LOG = LoggerFactory.getLogger(Priority.class);
    private static final Path TASKS = Path.of("/proc/self/task");

    private Priority() {}

    /** Raises every current thread's nice value to at least {@code nice}; returns how many were changed. */
    public static int lowerTo(int nice) {
        if (nice < 0 || nice > 19) {
            throw new IllegalArgumentException("nice must be 0..19: " + nice);
        }
        int changed = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path t : tasks) {
                int tid = Integer.parseInt(t.getFileName().toString());
                try {
                    if (niceOf(t) < nice) {
                        Libc.setThreadNice(tid, nice);
                        changed++;
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("thread {}: {}", tid, e.toString()); // it exited meanwhile
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot lower the agent's thread priorities: {}", e.toString());
        }
        return changed;
    }

    /** A thread's nice value, field 19 of /proc/self/task/TID/stat. */
    static int niceOf(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[16]);
    }
}
