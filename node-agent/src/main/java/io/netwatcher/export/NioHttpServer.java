package io.netwatcher.export;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server that slow or many clients cannot stall: one selector thread accepts
 * connections and reads request heads without blocking (a head must arrive within
 * {@link Limits#headTimeoutMs}, the oldest connection the selector serves is closed when
 * {@link Limits#maxConnections} are open) and answers cheap requests itself; streamed bodies
 * ({@code /metrics}) are written by a small bounded pool of workers, each response within
 * {@link Limits#responseTimeoutMs}. One request per connection ({@code Connection: close}).
 */
final class NioHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NioHttpServer.class);
    private static final int HEAD_MAX = 8192;
    private static final long LINGER_NS = 2_000_000_000L;

    /**
     * @param maxConnections    connections open at once; beyond, the oldest one is closed
     * @param headTimeoutMs     time a client has to send its request line and headers
     * @param responseTimeoutMs time a client has to take a whole response
     * @param workers           threads writing streamed responses
     * @param queued            streamed responses waiting for a worker; beyond, 503
     */
    record Limits(int maxConnections, long headTimeoutMs, long responseTimeoutMs, int workers, int queued) {
        static final Limits DEFAULT = new Limits(256, 10_000, 30_000, 2, 4);

        Limits {
            if (maxConnections < 1 || headTimeoutMs < 1 || responseTimeoutMs < 1 || workers < 1 || queued < 1) {
                throw new IllegalArgumentException("limits must be > 0");
            }
        }
    }

    /** A request: method, path (without the query) and the Accept header (or null). */
    record Request(String method, String path, String accept) {
        boolean head() {
            return method.equals("HEAD");
        }
    }

    /** Writes a streamed body. */
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A response: a fixed body, or a body streamed by a worker ({@code stream} non-null, no length).
     */
    record Response(int status, String contentType, byte[] body, List<String> headers, Body stream) {
        Response {
            Objects.requireNonNull(contentType, "contentType");
            headers = List.copyOf(headers);
        }

        static Response text(int status, String text, String... headers) {
            return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8),
                    List.of(headers), null);
        }

        static Response streamed(String contentType, Body body) {
            return new Response(200, contentType, new byte[0], List.of(), Objects.requireNonNull(body));
        }
    }

    /** Answers a request. Runs on the selector thread: must not block (streamed bodies run on a worker). */
    interface Handler {
        Response handle(Request r);
    }

    /** One connection's state on the selector. */
    private static final class Conn {
        final SocketChannel ch;
        final long acceptedNs;
        ByteBuffer in = ByteBuffer.allocate(512);
        ByteBuffer out;
        long deadlineNs;
        boolean lingering;

        Conn(SocketChannel ch, long now, long deadlineNs) {
            this.ch = ch;
            this.acceptedNs = now;
            this.deadlineNs = deadlineNs;
        }
    }

    private final Limits limits;
    private final Handler handler;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread loop;
    private final ThreadPoolExecutor workers;
    /** Connections the selector serves, oldest first. */
    private final LinkedHashSet<Conn> open = new LinkedHashSet<>();
    private volatile boolean running = true;

    NioHttpServer(String address, int port, Limits limits, Handler handler) throws IOException {
        this.limits = limits;
        this.handler = handler;
        this.selector = Selector.open();
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(address, port), 128);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
        workers = new ThreadPoolExecutor(limits.workers(), limits.workers(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.queued()), r -> {
                    Thread t = new Thread(r, "nw-http-body");
                    t.setDaemon(true);
                    return t;
                });
        loop = new Thread(this::run, "nw-http");
        loop.setDaemon(true);
        loop.start();
    }

    int port() {
        return server.socket().getLocalPort();
    }

    private void run() {
        while (running) {
            try {
                selector.select(1000);
                long now = System.nanoTime();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        accept(now);
                    } else {
                        Conn c = (Conn) k.attachment();
                        try {
                            if (k.isReadable()) {
                                read(k, c, now);
                            } else if (k.isWritable()) {
                                write(k, c, now);
                            }
                        } catch (IOException | RuntimeException e) {
                            LOG.debug("http connection failed: {}", e.toString());
                            close(c);
                        }
                    }
                }
                expire(now);
            } catch (ClosedSelectorException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.warn("http endpoint: {}", e.toString());
                }
            }
        }
    }

    private void accept(long now) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            if (open.size() >= limits.maxConnections()) {
                close(open.iterator().next()); // the oldest: likely a slow client
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn c = new Conn(ch, now, now + limits.headTimeoutMs() * 1_000_000L);
            ch.register(selector, SelectionKey.OP_READ, c);
            open.add(c);
        }
    }

    private void read(SelectionKey k, Conn c, long now) throws IOException {
        if (c.lingering) { // the response is out: wait for the client to close, discarding what it sends
            ByteBuffer discard = ByteBuffer.allocate(1024);
            int n;
            while ((n = c.ch.read(discard)) > 0) {
                discard.clear();
            }
            if (n < 0) {
                close(c);
            }
            return;
        }
        if (!c.in.hasRemaining()) {
            if (c.in.capacity() >= HEAD_MAX) {
                respond(k, c, Response.text(431, "request head too large\n"), false, now);
                return;
            }
            ByteBuffer bigger = ByteBuffer.allocate(HEAD_MAX);
            c.in.flip();
            bigger.put(c.in);
            c.in = bigger;
        }
        int n = c.ch.read(c.in);
        if (n < 0) {
            close(c);
            return;
        }
        int end = headEnd(c.in);
        if (end < 0) {
            if (!c.in.hasRemaining() && c.in.capacity() >= HEAD_MAX) {
                respond(k, c, Response.text(431, "request head too large\n"), false, now);
            }
            return;
        }
        Request r = parse(new String(c.in.array(), 0, end, StandardCharsets.ISO_8859_1));
        c.in = null;
        if (r == null) {
            respond(k, c, Response.text(400, "bad request\n"), false, now);
            return;
        }
        Response resp;
        try {
            resp = handler.handle(r);
        } catch (RuntimeException e) {
            LOG.warn("{} {} failed: {}", r.method(), r.path(), e.toString());
            resp = Response.text(500, "internal error\n");
        }
        respond(k, c, resp, r.head(), now);
    }

    /** End of the request head (after the blank line), or -1. */
    static int headEnd(ByteBuffer b) {
        byte[] a = b.array();
        int n = b.position();
        for (int i = 0; i < n; i++) {
            if (a[i] == '\n') {
                if (i + 1 < n && a[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < n && a[i + 1] == '\r' && a[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    /** The request line and the Accept header; null when the request line is malformed. */
    static Request parse(String head) {
        String[] lines = head.split("\r?\n");
        String[] first = lines[0].split(" ");
        if (first.length != 3 || !first[2].startsWith("HTTP/1.") || first[0].isEmpty()
                || !first[0].chars().allMatch(ch -> ch >= 'A' && ch <= 'Z')) {
            return null;
        }
        String target = first[1];
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String accept = null;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("accept")) {
                accept = lines[i].substring(colon + 1).trim();
            }
        }
        return new Request(first[0], path, accept);
    }

    private void respond(SelectionKey k, Conn c, Response r, boolean head, long now) throws IOException {
        if (r.stream() != null && !head) {
            k.interestOps(0);
            open.remove(c);
            Response streamed = r;
            try {
                workers.execute(() -> stream(c, streamed));
                return;
            } catch (RejectedExecutionException e) {
                open.add(c);
                r = Response.text(503, "busy: too many requests in flight\n", "Retry-After: 1");
            }
        }
        byte[] status = statusLine(r, head ? -1 : r.body().length);
        ByteBuffer out = ByteBuffer.allocate(status.length + (head ? 0 : r.body().length));
        out.put(status);
        if (!head) {
            out.put(r.body());
        }
        c.out = out.flip();
        c.deadlineNs = now + limits.responseTimeoutMs() * 1_000_000L;
        k.interestOps(SelectionKey.OP_WRITE);
        write(k, c, now);
    }

    private void write(SelectionKey k, Conn c, long now) throws IOException {
        c.ch.write(c.out);
        if (c.out.hasRemaining()) {
            return;
        }
        // Sent: half-close and wait briefly for the client to close, so unread request bytes
        // cannot turn the close into a reset that discards the response.
        c.ch.shutdownOutput();
        c.out = null;
        c.lingering = true;
        c.deadlineNs = now + LINGER_NS;
        k.interestOps(SelectionKey.OP_READ);
    }

    private static byte[] statusLine(Response r, int length) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n");
        sb.append("Content-Type: ").append(r.contentType()).append("\r\n");
        if (length >= 0 && r.stream() == null) {
            sb.append("Content-Length: ").append(length).append("\r\n");
        }
        for (String h : r.headers()) {
            sb.append(h).append("\r\n");
        }
        sb.append("Connection: close\r\n\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    /** On a worker: the status line, then the body as it is produced, within the response deadline. */
    private void stream(Conn c, Response r) {
        long deadline = System.nanoTime() + limits.responseTimeoutMs() * 1_000_000L;
        try (Selector writable = Selector.open(); ChannelOutput out = new ChannelOutput(c.ch, writable, deadline)) {
            out.write(statusLine(r, -1));
            r.stream().writeTo(out);
        } catch (IOException | RuntimeException e) {
            LOG.debug("streamed response failed: {}", e.toString());
        } finally {
            closeQuietly(c);
        }
    }

    private void expire(long now) {
        List<Conn> late = new ArrayList<>();
        for (Conn c : open) {
            if (now - c.deadlineNs > 0) {
                late.add(c);
            }
        }
        for (Conn c : late) {
            if (!c.lingering) {
                LOG.debug("http client {} too slow: closed after {} ms", remote(c),
                        (now - c.acceptedNs) / 1_000_000);
            }
            close(c);
        }
    }

    private static String remote(Conn c) {
        try {
            return String.valueOf(c.ch.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    private void close(Conn c) {
        open.remove(c);
        closeQuietly(c);
    }

    private static void closeQuietly(Conn c) {
        try {
            c.ch.close();
        } catch (IOException e) {
            LOG.debug("closing http connection: {}", e.toString());
        }
    }

    /** Connections the selector serves now (tests). */
    int openConnections() {
        return open.size();
    }

    @Override
    public void close() {
        running = false;
        workers.shutdownNow();
        try {
            selector.wakeup();
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (SelectionKey k : selector.keys()) {
                k.channel().close();
            }
            selector.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing http endpoint: {}", e.toString());
        }
    }

    /**
     * Buffered output to a non-blocking channel: waits for it to become writable, up to a deadline
     * (a client that does not read cannot hold a worker longer).
     */
    private static final class ChannelOutput extends OutputStream {
        private final SocketChannel ch;
        private final Selector writable;
        private final long deadlineNs;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);

        ChannelOutput(SocketChannel ch, Selector writable, long deadlineNs) throws IOException {
            this.ch = ch;
            this.writable = writable;
            this.deadlineNs = deadlineNs;
            ch.register(writable, SelectionKey.OP_WRITE);
        }

        @Override
        public void write(int b) throws IOException {
            if (!buf.hasRemaining()) {
                drain();
            }
            buf.put((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (!buf.hasRemaining()) {
                    drain();
                }
                int n = Math.min(len, buf.remaining());
                buf.put(b, off, n);
                off += n;
                len -= n;
            }
        }

        private void drain() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                if (ch.write(buf) == 0) {
                    long left = deadlineNs - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("client did not take the response in time");
                    }
                    if (Thread.interrupted()) { // the endpoint closes
                        throw new InterruptedIOException("endpoint closed");
                    }
                    writable.select(Math.max(1, left / 1_000_000));
                    writable.selectedKeys().clear();
                }
            }
            buf.clear();
        }

        @Override
        public void flush() throws IOException {
            drain();
        }

        @Override
        public void close() throws IOException {
            drain();
        }
    }
}
