package io.netwatcher.bpf;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Keeps a bpf_object's native memory and fds alive while they are used. Every call into libbpf or
 * the kernel with the object's maps, programs or links runs between {@link #enter} and
 * {@link #exit} (the read side of a lock, reentrant); {@link #close} marks the object closed, so
 * new calls fail at once with {@link BpfClosedException}, waits (bounded) for the calls in flight
 * to end and only then frees the object (the write side).
 */
final class ObjectGuard {
    private final String object;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    ObjectGuard(String object) {
        this.object = object;
    }

    /** Begins a use of {@code what} (e.g. "map conns"); throws when the object is closed. */
    void enter(String what) {
        if (closed) {
            throw closed(what);
        }
        lock.readLock().lock();
        if (closed) {
            lock.readLock().unlock();
            throw closed(what);
        }
    }

    void exit() {
        lock.readLock().unlock();
    }

    <T> T call(String what, Supplier<T> fn) {
        enter(what);
        try {
            return fn.get();
        } finally {
            exit();
        }
    }

    int callInt(String what, IntSupplier fn) {
        enter(what);
        try {
            return fn.getAsInt();
        } finally {
            exit();
        }
    }

    private BpfClosedException closed(String what) {
        return new BpfClosedException(what + " of BPF object " + object + " used after the object was closed");
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Closes: from now on every use fails; {@code free} runs once the uses in flight have ended.
     * Returns false, without running {@code free}, when they did not end within {@code timeoutMs}
     * (the memory then goes with the process).
     */
    boolean close(long timeoutMs, Runnable free) {
        closed = true;
        boolean locked;
        try {
            locked = lock.writeLock().tryLock(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            return false;
        }
        try {
            free.run();
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }
}
