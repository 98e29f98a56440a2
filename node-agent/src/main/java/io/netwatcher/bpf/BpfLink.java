package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** An attachment of a program ({@code bpf_link}); closing it detaches the program. */
public final class BpfLink implements AutoCloseable {
    private final String program;
    private final ObjectGuard guard;
    private Pointer link;
    /** A link created with bpf(2) directly (no libbpf bpf_link): its fd, -1 once closed or for libbpf links. */
    private int fd = -1;

    BpfLink(String program, Pointer link, ObjectGuard guard) {
        this.program = program;
        this.link = link;
        this.guard = guard;
    }

    /** A link the kernel returned as a bare fd (BPF_LINK_CREATE): closing the fd detaches it. */
    static BpfLink ofFd(String program, int fd, ObjectGuard guard) {
        BpfLink l = new BpfLink(program, null, guard);
        l.fd = fd;
        return l;
    }

    public String program() {
        return program;
    }

    /**
     * Runs an iterator link once: creates an iterator fd and reads it to the end, which makes the
     * kernel call the program for every object (e.g. every TCP socket).
     */
    public void runIterator() {
        guard.enter("iterator " + program);
        try {
            iterate();
        } finally {
            guard.exit();
        }
    }

    private synchronized void iterate() {
        if (link == null) {
            throw new IllegalStateException(program + " is detached");
        }
        int fd = LibBpf.bpf_iter_create(LibBpf.bpf_link__fd(link));
        if (fd < 0) {
            throw BpfException.negative("bpf_iter_create(" + program + ")", fd);
        }
        try {
            Memory buf = new Memory(4096);
            while (true) {
                long n = Libc.read(fd, buf, buf.size());
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    int errno = Native.getLastError();
                    if (errno != Libc.EINTR) {
                        throw BpfException.errno("read(" + program + " iterator)", errno);
                    }
                }
            }
        } finally {
            Libc.close(fd);
        }
    }

    public synchronized boolean isAttached() {
        return link != null || fd >= 0;
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            int ret = Libc.close(fd);
            int errno = Native.getLastError();
            fd = -1;
            if (ret < 0) {
                throw BpfException.errno("close(" + program + " link)", errno);
            }
        }
        if (link != null) {
            int ret = LibBpf.bpf_link__destroy(link);
            link = null;
            if (ret < 0) {
                throw BpfException.negative("bpf_link__destroy(" + program + ")", ret);
            }
        }
    }
}
