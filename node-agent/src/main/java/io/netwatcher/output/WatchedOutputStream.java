package io.netwatcher.output;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes writes through and remembers when the one in progress began, so a consumer that stopped
 * reading (a pipe nobody drains, a stopped log collector) shows as a write blocked for long.
 */
public final class WatchedOutputStream extends FilterOutputStream {
    private volatile long writingSinceNs;
    private volatile boolean writing;

    public WatchedOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        begin();
        try {
            out.write(b);
        } finally {
            writing = false;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        begin();
        try {
            out.write(b, off, len);
        } finally {
            writing = false;
        }
    }

    @Override
    public void flush() throws IOException {
        begin();
        try {
            out.flush();
        } finally {
            writing = false;
        }
    }

    private void begin() {
        writingSinceNs = System.nanoTime();
        writing = true;
    }

    /** How long the write in progress has been blocked at {@code nowNs} (System.nanoTime()), 0 without one. */
    public long blockedNs(long nowNs) {
        if (!writing) {
            return 0;
        }
        return Math.max(0, nowNs - writingSinceNs);
    }
}
