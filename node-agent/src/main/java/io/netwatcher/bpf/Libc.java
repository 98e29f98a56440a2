package io.netwatcher.bpf;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** JNA direct mapping of the few libc calls the agent needs: mmap, epoll, setns, vsnprintf. */
public final class Libc {
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final long MAP_FAILED = -1L;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLLIN = 0x001;
    static final int EINTR = 4;
    public static final int CLONE_NEWNET = 0x40000000;
    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;

    static {
        Native.register(Libc.class, NativeLibrary.getInstance("c"));
    }

    private Libc() {}

    static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(Pointer addr, long length);

    static native int epoll_create1(int flags);

    static native int epoll_ctl(int epfd, int op, int fd, Pointer event);

    static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMs);

    static native int close(int fd);

    static native long read(int fd, Pointer buf, long count);

    static native int open(String path, int flags);

    static native int setns(int fd, int nstype);

    /** syscall(2), for the bpf(2) commands libbpf 1.1 has no wrapper for (integer arguments only). */
    static native long syscall(long number, long a1, Pointer a2, long a3);

    static native int vsnprintf(Pointer buf, long size, Pointer format, Pointer args);

    static native String strerror(int errnum);

    static native int getpagesize();

    static native int setpriority(int which, int who, int prio);

    static native int getpriority(int which, int who);

    private static final int PRIO_PROCESS = 0;

    /**
     * Sets the nice value of one thread (Linux applies PRIO_PROCESS to a thread id); raising it
     * needs no privilege. Throws with errno's text on failure (e.g. the thread has exited).
     */
    public static void setThreadNice(int tid, int nice) {
        if (setpriority(PRIO_PROCESS, tid, nice) != 0) {
            throw BpfException.errno("setpriority(" + tid + ", " + nice + ")", Native.getLastError());
        }
    }

    /**
     * Gives memory that native code (libbpf parsing the kernel's BTF at load, JNA buffers) freed
     * back to the kernel; a no-op where the C library has no malloc_trim.
     */
    public static void trimNativeHeap() {
        try {
            NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(new Object[] {0L});
        } catch (UnsatisfiedLinkError e) {
            // not glibc
        }
    }

    /** Text of an errno value, as strerror(3) gives it. */
    public static String errnoText(int errno) {
        String s = strerror(errno);
        return s == null ? "errno " + errno : s;
    }

    /**
     * Moves the calling thread into the network namespace at {@code path} (a file under
     * /run/netns or /proc/PID/ns/net). Sockets created afterwards by this thread live there.
     */
    public static void setNetns(String path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            throw BpfException.errno("open(" + path + ")", Native.getLastError());
        }
        try {
            if (setns(fd, CLONE_NEWNET) != 0) {
                throw BpfException.errno("setns(" + path + ")", Native.getLastError());
            }
        } finally {
            close(fd);
        }
    }

    /** Opens a directory read-only (for cgroup attachment) and returns its fd. */
    static int openDirectory(String path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            throw BpfException.errno("open(" + path + ")", Native.getLastError());
        }
        return fd;
    }
}
