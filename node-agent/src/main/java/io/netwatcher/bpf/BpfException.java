package io.netwatcher.bpf;

/**
 * A failed libbpf or system call: names the call and carries errno with its text, e.g.
 * {@code bpf_program__attach(tp_tcp_probe): Operation not permitted (errno 1)}.
 */
public final class BpfException extends RuntimeException {
    private final String call;
    private final int errno;

    private BpfException(String call, int errno, String message) {
        super(message);
        this.call = call;
        this.errno = errno;
    }

    /** From a negative libbpf return value ({@code -errno}). */
    static BpfException negative(String call, int ret) {
        return errno(call, -ret);
    }

    public static BpfException errno(String call, int errno) {
        return new BpfException(call, errno, call + ": " + Libc.errnoText(errno) + " (errno " + errno + ")");
    }

    static BpfException withDetail(String call, int errno, String detail) {
        return new BpfException(call, errno,
                call + ": " + Libc.errnoText(errno) + " (errno " + errno + ")\n" + detail);
    }

    /** The failed call, e.g. {@code bpf_object__load}. */
    public String call() {
        return call;
    }

    /** The errno value (positive). */
    public int errno() {
        return errno;
    }
}
