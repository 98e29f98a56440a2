package io.netwatcher.probe;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The compiled BPF objects, packaged as resources under /bpf by the bpf module. */
public final class BpfObjects {
    public static final String NETWATCHER = "/bpf/netwatcher.bpf.o";
    public static final String FEATURES = "/bpf/features.bpf.o";
    /** Kernel function call counts (--count-calls); loaded only when calls are counted. */
    public static final String CALLS = "/bpf/calls.bpf.o";

    private BpfObjects() {}

    public static byte[] read(String resource) {
        try (InputStream in = BpfObjects.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " (was the bpf module built?)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
