package io.netwatcher.export;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;

/**
 * A response body rendered once, kept gzip-compressed in 64 KiB chunks (the Prometheus text of a
 * node with 200 pods, about 20 MB, takes about half a megabyte), and shared by every scrape that
 * asks for it while it is fresh. A client that accepts gzip gets the chunks as they are; another
 * one gets them inflated piece by piece as its socket takes them. Immutable once rendered.
 */
final class Rendering {
    private static final int CHUNK = 64 << 10;
    /** The gzip member header (RFC 1952): deflate, no flags, no time, no extra fields. */
    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    final String key;
    final long renderedNs;
    private final List<byte[]> chunks;
    private final int lastChunkLength;
    private final long gzipLength;
    private final long length;
    /** Responses writing it now (the selector thread's count). */
    int users;

    private Rendering(String key, long renderedNs, List<byte[]> chunks, int lastChunkLength, long length) {
        this.key = key;
        this.renderedNs = renderedNs;
        this.chunks = chunks;
        this.lastChunkLength = lastChunkLength;
        this.gzipLength = chunks.isEmpty() ? 0 : (long) (chunks.size() - 1) * CHUNK + lastChunkLength;
        this.length = length;
    }

    /** Writes {@code body} through a fast gzip (level 1) into chunks. */
    static Rendering render(String key, NioHttpServer.Body body, long nowNs) throws IOException {
        Chunks out = new Chunks();
        out.write(GZIP_HEADER);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
        CRC32 crc = new CRC32();
        long[] length = new long[1];
        try {
            DeflaterOutputStream deflated = new DeflaterOutputStream(out, deflater, CHUNK);
            OutputStream counted = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    crc.update(b, off, len);
                    length[0] += len;
                    deflated.write(b, off, len);
                }
            };
            BufferedOutputStream buffered = new BufferedOutputStream(counted, CHUNK);
            body.writeTo(buffered);
            buffered.flush();
            deflated.finish();
        } finally {
            deflater.end();
        }
        int c = (int) crc.getValue();
        int n = (int) length[0];
        out.write(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
                (byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
        return new Rendering(key, nowNs, out.chunks, out.used, length[0]);
    }

    /** Bytes of the body as rendered (what a client without gzip receives). */
    long length() {
        return length;
    }

    /** Bytes of the gzip-compressed body (what is held in memory, and what a gzip client receives). */
    long gzipLength() {
        return gzipLength;
    }

    /** A reader of this body for one response, compressed or not. Close it when the response ends. */
    Reader reader(boolean gzip) {
        return gzip ? new Stored() : new Inflating();
    }

    /** One response's position in a rendering. */
    interface Reader extends AutoCloseable {
        /** Writes what the channel takes now, at most about {@code budget} bytes; returns how many. */
        long writeTo(GatheringByteChannel ch, int budget) throws IOException;

        /** True when every byte was written. */
        boolean done();

        /** Bytes this response has in all. */
        long length();

        @Override
        void close();
    }

    private ByteBuffer chunk(int i) {
        return ByteBuffer.wrap(chunks.get(i), 0, i == chunks.size() - 1 ? lastChunkLength : CHUNK);
    }

    /** The compressed chunks as they are, with gathering writes. */
    private final class Stored implements Reader {
        private final ByteBuffer[] views = new ByteBuffer[chunks.size()];
        private int next;

        Stored() {
            for (int i = 0; i < views.length; i++) {
                views[i] = chunk(i);
            }
        }

        @Override
        public long writeTo(GatheringByteChannel ch, int budget) throws IOException {
            int count = Math.min(views.length - next, Math.max(1, budget / CHUNK));
            long n = count == 0 ? 0 : ch.write(views, next, count);
            while (next < views.length && !views[next].hasRemaining()) {
                next++;
            }
            return n;
        }

        @Override
        public boolean done() {
            return next == views.length;
        }

        @Override
        public long length() {
            return gzipLength;
        }

        @Override
        public void close() {
            // nothing held
        }
    }

    /** The body inflated piece by piece (16 KiB at a time) for a client that did not ask for gzip. */
    private final class Inflating implements Reader {
        private final Inflater inflater = new Inflater(true);
        private final ByteBuffer out = ByteBuffer.allocate(16 << 10).flip();
        private int nextChunk;
        private boolean finished;

        @Override
        public long writeTo(GatheringByteChannel ch, int budget) throws IOException {
            long written = 0;
            while (written < budget) {
                if (!out.hasRemaining() && !fill()) {
                    break;
                }
                int n = ch.write(out);
                written += n;
                if (out.hasRemaining()) {
                    break; // the socket is full
                }
            }
            return written;
        }

        /** Inflates the next piece into {@code out}; false at the end. */
        private boolean fill() throws IOException {
            out.clear();
            try {
                while (out.hasRemaining() && !finished) {
                    if (inflater.needsInput()) {
                        if (nextChunk == chunks.size()) {
                            throw new IOException("rendering ends before its deflate stream");
                        }
                        ByteBuffer c = chunk(nextChunk++);
                        int skip = nextChunk == 1 ? GZIP_HEADER.length : 0;
                        inflater.setInput(c.array(), skip, c.limit() - skip);
                    }
                    int n = inflater.inflate(out.array(), out.position(), out.remaining());
                    out.position(out.position() + n);
                    finished = inflater.finished();
                }
            } catch (DataFormatException e) {
                throw new IOException("corrupt rendering: " + e.getMessage(), e);
            }
            out.flip();
            return out.hasRemaining();
        }

        @Override
        public boolean done() {
            return finished && !out.hasRemaining();
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void close() {
            inflater.end();
        }
    }

    /** An output stream into a list of fixed-size chunks (no copy of what was written before). */
    private static final class Chunks extends OutputStream {
        final List<byte[]> chunks = new ArrayList<>();
        int used = CHUNK;

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                if (used == CHUNK) {
                    chunks.add(new byte[CHUNK]);
                    used = 0;
                }
                int n = Math.min(len, CHUNK - used);
                System.arraycopy(b, off, chunks.get(chunks.size() - 1), used, n);
                used += n;
                off += n;
                len -= n;
            }
        }
    }
}
