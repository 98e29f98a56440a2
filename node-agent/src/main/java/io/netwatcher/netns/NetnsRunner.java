package io.netwatcher.netns;

import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.Libc;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;

/**
 * Runs work inside other network namespaces from one dedicated thread (setns(2) changes only
 * the calling thread), returning to the agent's own namespace after each one.
 */
public final class NetnsRunner implements AutoCloseable {
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "nw-netns");
        t.setDaemon(true);
        return t;
    });
    /** The agent's own namespace: the main thread's (/proc/self/task/... would be the worker's). */
    private final Path home = Path.of("/proc/" + ProcessHandle.current().pid() + "/ns/net");

    /**
     * Calls {@code task} once inside each namespace of {@code namespaces} (inode to path). A
     * namespace that cannot be entered (gone) is reported to {@code onError} and skipped.
     */
    public void forEach(Map<Long, Path> namespaces, Runnable task, BiConsumer<Path, RuntimeException> onError) {
        Future<?> f = thread.submit(() -> {
            try {
                for (Map.Entry<Long, Path> e : namespaces.entrySet()) {
                    try {
                        Libc.setNetns(e.getValue().toString());
                        task.run();
                    } catch (BpfException | IllegalStateException ex) {
                        onError.accept(e.getValue(), ex);
                    }
                }
            } finally {
                Libc.setNetns(home.toString());
            }
        });
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
