package io.netwatcher.export;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server that slow or many clients cannot stall. One selector thread does all
 * the I/O without blocking: it accepts connections, reads request heads (a head must arrive within
 * {@link Limits#headTimeoutMs}; the oldest connection is closed when {@link Limits#maxConnections}
 * are open), answers cheap requests itself and writes every response. Rendered bodies
 * ({@code /metrics}) are made by two workers into memory ({@link Renderings}: gzip-compressed,
 * shared by the scrapes of the same second, bounded in number), so a client that does not read
 * holds no thread: it is closed when it takes nothing for {@link Limits#stallTimeoutMs}, falls
 * below {@link Limits#minBytesPerSec}, or has not taken its response within
 * {@link Limits#responseTimeoutMs}. Each client address has at most {@link Limits#perAddress}
 * rendered responses in flight (a new request closes the oldest of them), all together
 * {@link Limits#responses}; more get 503. One request per connection
 * ({@code Connection: close}).
 */
final class NioHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NioHttpServer.class);
    private static final int HEAD_MAX = 8192;
    private static final long LINGER_NS = 2_000_000_000L;
    private static final long ACCEPT_PAUSE_NS = 200_000_000L;
    /** Bytes one connection may write per selector round (so other clients, and /healthz, take turns). */
    private static final int WRITE_BUDGET = 256 << 10;
    private static final int WORKERS = 2;
    /** A response that has taken nothing this long gives way to a new request from its address. */

    /**
     * @param maxConnections    connections open at once; beyond, the oldest one is closed
     * @param headTimeoutMs     time a client has to send its request line and headers
     * @param responseTimeoutMs time a client has to take a whole response
     * @param stallTimeoutMs    time a client may take nothing of its response
     * @param minBytesPerSec    average rate a client must take a response at once it has had
     *                          {@code stallTimeoutMs}
     * @param perAddress        rendered responses in flight per client address; beyond, the oldest is
     *                          closed
     * @param responses         rendered responses in flight in all; beyond, 503
     * @param renderings        rendered bodies held at once (each about 2.5 % of its text)
     */
    record Limits(int maxConnections, long headTimeoutMs, long responseTimeoutMs, long stallTimeoutMs,
                  int minBytesPerSec, int perAddress, int responses, int renderings) {
        static final Limits DEFAULT = new Limits(256, 10_000, 30_000, 5_000, 32 << 10, 4, 64, 4);

        Limits {
            if (maxConnections < 1 || headTimeoutMs < 1 || responseTimeoutMs < 1 || stallTimeoutMs < 1
                    || minBytesPerSec < 0 || perAddress < 1 || responses < 1 || renderings < 1) {
                throw new IllegalArgumentException("limits must be > 0");
            }
        }

        Limits withTimeouts(long headMs, long responseMs, long stallMs) {
            return new Limits(maxConnections, headMs, responseMs, stallMs, minBytesPerSec, perAddress, responses,
                    renderings);
        }

        Limits withMaxConnections(int n) {
            return new Limits(n, headTimeoutMs, responseTimeoutMs, stallTimeoutMs, minBytesPerSec, perAddress,
                    responses, renderings);
        }

        Limits withRenderings(int n) {
            return new Limits(maxConnections, headTimeoutMs, responseTimeoutMs, stallTimeoutMs, minBytesPerSec,
                    perAddress, responses, n);
        }
    }

    /** A request: method, path (without the query), the Accept header (or null), whether gzip is accepted. */
    record Request(String method, String path, String accept, boolean gzip) {
        boolean head() {
            return method.equals("HEAD");
        }
    }

    /** Writes a body to be rendered. */
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A response: a fixed body, or a body rendered by a worker ({@code render} non-null), shared by
     * the responses of the same content type within a second.
     */
    record Response(int status, String contentType, byte[] body, List<String> headers, Body render) {
        Response {
            Objects.requireNonNull(contentType, "contentType");
            headers = List.copyOf(headers);
        }

        static Response text(int status, String text, String... headers) {
            return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8),
                    List.of(headers), null);
        }

        static Response rendered(String contentType, Body body) {
            return new Response(200, contentType, new byte[0], List.of(), Objects.requireNonNull(body));
        }
    }

    /** Answers a request. Runs on the selector thread: must not block (rendered bodies are made by a worker). */
    interface Handler {
        Response handle(Request r);
    }

    /** One connection's state on the selector. */
    private static final class Conn {
        final SocketChannel ch;
        final InetAddress address;
        final long acceptedNs;
        ByteBuffer in = ByteBuffer.allocate(512);
        /** Head bytes already searched for the blank line. */
        int scanned;
        /** A fixed response, or the head of a rendered one. */
        ByteBuffer out;
        Rendering.Reader body;
        Rendering rendering;
        /** Counted in its address's rendered responses. */
        boolean rendered;
        boolean gzip;
        long deadlineNs;
        long startNs;
        long progressNs;
        long sent;
        boolean lingering;

        Conn(SocketChannel ch, InetAddress address, long now, long deadlineNs) {
            this.ch = ch;
            this.address = address;
            this.acceptedNs = now;
            this.deadlineNs = deadlineNs;
        }
    }

    private final Limits limits;
    private final Handler handler;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final SelectionKey acceptKey;
    private final Thread loop;
    private final ThreadPoolExecutor workers;
    private final Renderings renderings;
    /** Work handed to the selector thread by the workers. */
    private final Queue<Runnable> posted = new ConcurrentLinkedQueue<>();
    /** Connections the selector serves, oldest first. */
    private final LinkedHashSet<Conn> open = new LinkedHashSet<>();
    /** Rendered responses in flight per client address, oldest first. */
    private final Map<InetAddress, ArrayDeque<Conn>> byAddress = new HashMap<>();
    private int inFlight;
    private long acceptResumeNs;
    private boolean acceptPaused;
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
            acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            selector.close();
            throw e;
        }
        workers = new ThreadPoolExecutor(WORKERS, WORKERS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.renderings()), r -> {
                    Thread t = new Thread(r, "nw-http-render");
                    t.setDaemon(true);
                    return t;
                });
        renderings = new Renderings(limits.renderings(), workers, this::post, System::nanoTime);
        loop = new Thread(this::run, "nw-http");
        loop.setDaemon(true);
        loop.start();
    }

    int port() {
        return server.socket().getLocalPort();
    }

    private void post(Runnable r) {
        posted.add(r);
        selector.wakeup();
    }

    private void run() {
        try {
            while (running) {
                try {
                    long wait = acceptPaused ? (acceptResumeNs - System.nanoTime()) / 1_000_000 : 1000;
                    selector.select(Math.max(1, Math.min(1000, wait)));
                } catch (IOException e) {
                    LOG.warn("http endpoint: {}", e.toString());
                }
                long now = System.nanoTime();
                try {
                    for (Runnable r; (r = posted.poll()) != null; ) {
                        r.run();
                    }
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey k = it.next();
                        it.remove();
                        if (k.isValid()) {
                            handle(k, now);
                        }
                    }
                } finally {
                    expire(now);
                    renderings.prune(now);
                    if (acceptPaused && now - acceptResumeNs >= 0) {
                        acceptPaused = false;
                        acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                    }
                }
            }
        } catch (ClosedSelectorException e) {
            // closed by close() after the loop did not stop in time
        } catch (RuntimeException e) {
            LOG.error("http endpoint stopped: {}", e.toString());
        } finally {
            for (Conn c : new ArrayList<>(open)) {
                close(c);
            }
            closeQuietly(server);
            closeQuietly(selector);
        }
    }

    private void handle(SelectionKey k, long now) {
        if (k == acceptKey) {
            accept(now);
            return;
        }
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

    private void accept(long now) {
        for (int i = 0; i < 64; i++) { // a batch; the rest in the next round
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                // Out of descriptors (EMFILE) or memory: stop accepting for a moment instead of
                // spinning on a listener that stays ready; expiry keeps freeing connections.
                LOG.warn("http endpoint cannot accept connections: {}", e.toString());
                acceptPaused = true;
                acceptResumeNs = now + ACCEPT_PAUSE_NS;
                acceptKey.interestOps(0);
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                if (open.size() >= limits.maxConnections()) {
                    close(open.iterator().next()); // the oldest: likely a slow client
                }
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                InetAddress address = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
                Conn c = new Conn(ch, address, now, now + limits.headTimeoutMs() * 1_000_000L);
                ch.register(selector, SelectionKey.OP_READ, c);
                open.add(c);
            } catch (IOException | RuntimeException e) {
                LOG.debug("http connection not accepted: {}", e.toString());
                closeQuietly(ch);
            }
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
        int end = headEnd(c.in, c.scanned);
        c.scanned = c.in.position();
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
        c.gzip = r.gzip();
        respond(k, c, resp, r.head(), now);
    }

    /**
     * End of the request head (after the blank line), or -1. {@code from}: bytes already searched
     * (a terminator may straddle it: the last three are searched again).
     */
    static int headEnd(ByteBuffer b, int from) {
        byte[] a = b.array();
        int n = b.position();
        for (int i = Math.max(0, from - 3); i < n; i++) {
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

    /** The request line and the Accept and Accept-Encoding headers; null when the request line is malformed. */
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
        boolean gzip = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("accept")) {
                accept = value;
            } else if (name.equals("accept-encoding")) {
                gzip = acceptsGzip(value);
            }
        }
        return new Request(first[0], path, accept, gzip);
    }

    /** Whether an Accept-Encoding value admits gzip ({@code gzip}, {@code *}, with a quality above 0). */
    static boolean acceptsGzip(String value) {
        for (String part : value.split(",")) {
            String[] p = part.split(";");
            String coding = p[0].trim().toLowerCase(Locale.ROOT);
            if (!coding.equals("gzip") && !coding.equals("x-gzip") && !coding.equals("*")) {
                continue;
            }
            double quality = 1;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].trim();
                if (param.startsWith("q=")) {
                    try {
                        quality = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        quality = 0;
                    }
                }
            }
            return quality > 0;
        }
        return false;
    }

    private void respond(SelectionKey k, Conn c, Response r, boolean head, long now) throws IOException {
        if (r.render() != null && !head) {
            render(k, c, r, now);
            return;
        }
        byte[] status = statusLine(r, head ? -1 : r.body().length, null);
        ByteBuffer out = ByteBuffer.allocate(status.length + (head ? 0 : r.body().length));
        out.put(status);
        if (!head) {
            out.put(r.body());
        }
        send(k, c, out.flip(), null, now);
    }

    /** A rendered body: within the address's and the overall limits, from {@link Renderings}. */
    private void render(SelectionKey k, Conn c, Response r, long now) throws IOException {
        ArrayDeque<Conn> same = byAddress.get(c.address);
        if (same != null && same.size() >= limits.perAddress()) {
            // The newest request of an address wins over its oldest response: a scraper never needs
            // that many at once, so the oldest is one that gave up or does not read. (Waiting for it
            // to look stalled would make the outcome depend on timing.)
            Conn old = same.peekFirst();
            LOG.debug("http client {}: {} responses in flight, closing the oldest ({} ms without progress)",
                    c.address, same.size(), (now - old.progressNs) / 1_000_000);
            close(old);
        }
        same = byAddress.computeIfAbsent(c.address, a -> new ArrayDeque<>());
        if (same.size() >= limits.perAddress() || inFlight >= limits.responses()) {
            if (same.isEmpty()) {
                byAddress.remove(c.address);
            }
            respond(k, c, Response.text(503, same.size() >= limits.perAddress()
                    ? "busy: " + same.size() + " responses in flight to this address\n"
                    : "busy: too many responses in flight\n", "Retry-After: 1"), false, now);
            return;
        }
        same.addLast(c);
        c.rendered = true;
        inFlight++;
        k.interestOps(0);
        c.deadlineNs = now + limits.responseTimeoutMs() * 1_000_000L;
        renderings.request(r.contentType(), r.render(), new Renderings.Waiter() {
            @Override
            public boolean ready(Rendering rendering) {
                if (!c.ch.isOpen() || !k.isValid()) {
                    return false;
                }
                c.rendering = rendering;
                c.body = rendering.reader(c.gzip);
                List<String> headers = new ArrayList<>(r.headers());
                if (c.gzip) {
                    headers.add("Content-Encoding: gzip");
                }
                headers.add("Vary: Accept-Encoding");
                ByteBuffer status = ByteBuffer.wrap(statusLine(r, c.body.length(), headers));
                try {
                    send(k, c, status, c.body, System.nanoTime());
                } catch (IOException | RuntimeException e) {
                    LOG.debug("http connection failed: {}", e.toString());
                    close(c);
                }
                return true;
            }

            @Override
            public void failed(int status, String why) {
                if (!c.ch.isOpen() || !k.isValid()) {
                    return;
                }
                try {
                    release(c);
                    respond(k, c, status == 503 ? Response.text(503, why + "\n", "Retry-After: 1")
                            : Response.text(status, why + "\n"), false, System.nanoTime());
                } catch (IOException | RuntimeException e) {
                    close(c);
                }
            }
        });
    }

    private void send(SelectionKey k, Conn c, ByteBuffer head, Rendering.Reader body, long now) throws IOException {
        c.out = head;
        c.body = body;
        c.startNs = now;
        c.progressNs = now;
        c.deadlineNs = now + limits.responseTimeoutMs() * 1_000_000L;
        k.interestOps(SelectionKey.OP_WRITE);
        write(k, c, now);
    }

    private void write(SelectionKey k, Conn c, long now) throws IOException {
        long n = c.out.hasRemaining() ? c.ch.write(c.out) : 0;
        if (!c.out.hasRemaining() && c.body != null) {
            n += c.body.writeTo(c.ch, WRITE_BUDGET);
        }
        if (n > 0) {
            c.sent += n;
            c.progressNs = now;
        }
        if (c.out.hasRemaining() || c.body != null && !c.body.done()) {
            return;
        }
        // Sent: half-close and wait briefly for the client to close, so unread request bytes
        // cannot turn the close into a reset that discards the end of the response.
        c.ch.shutdownOutput();
        release(c);
        c.out = null;
        c.lingering = true;
        c.deadlineNs = now + LINGER_NS;
        k.interestOps(SelectionKey.OP_READ);
    }

    /** The response no longer holds its rendering nor counts against its address. */
    private void release(Conn c) {
        if (c.body != null) {
            c.body.close();
            c.body = null;
        }
        if (c.rendering != null) {
            renderings.release(c.rendering);
            c.rendering = null;
        }
        if (c.rendered) {
            c.rendered = false;
            inFlight--;
            ArrayDeque<Conn> same = byAddress.get(c.address);
            same.remove(c);
            if (same.isEmpty()) {
                byAddress.remove(c.address);
            }
        }
    }

    private static byte[] statusLine(Response r, long length, List<String> headers) {
        StringBuilder sb = new StringBuilder(200);
        sb.append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n");
        sb.append("Content-Type: ").append(r.contentType()).append("\r\n");
        if (length >= 0) {
            sb.append("Content-Length: ").append(length).append("\r\n");
        }
        for (String h : headers == null ? r.headers() : headers) {
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

    /** Closes the connections past their deadline, and responses the client does not take. */
    private void expire(long now) {
        List<Conn> late = new ArrayList<>();
        for (Conn c : open) {
            String why = lateness(c, now);
            if (why != null) {
                LOG.debug("http client {}: {}, closed after {} ms", c.address, why, (now - c.acceptedNs) / 1_000_000);
                late.add(c);
            }
        }
        for (Conn c : late) {
            close(c);
        }
    }

    private String lateness(Conn c, long now) {
        if (now - c.deadlineNs > 0) {
            return c.lingering ? "linger over" : c.out == null ? "no request or response in time"
                    : "response not taken in time";
        }
        if (c.out == null || c.lingering) {
            return null;
        }
        long stallNs = limits.stallTimeoutMs() * 1_000_000L;
        if (now - c.progressNs > stallNs) {
            return "took nothing for " + limits.stallTimeoutMs() + " ms";
        }
        long elapsed = now - c.startNs;
        if (elapsed > stallNs && c.sent < (double) limits.minBytesPerSec() * elapsed / 1e9) {
            return "took " + c.sent + " bytes in " + elapsed / 1_000_000 + " ms";
        }
        return null;
    }

    private void close(Conn c) {
        open.remove(c);
        release(c);
        closeQuietly(c.ch);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }

    /** Connections the selector serves now (tests; read on the selector thread's behalf). */
    int openConnections() {
        return open.size();
    }

    /** Renderings held now (tests). */
    int heldRenderings() {
        return renderings.held();
    }

    /** Bodies rendered so far (tests). */
    long rendered() {
        return renderings.rendered();
    }

    /**
     * Stops the selector thread (which closes every connection), then waits up to a second for a
     * rendering in progress: it may read the probes' maps, which are closed next.
     */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loop.isAlive()) {
            LOG.warn("http endpoint thread did not stop; closing its selector");
            closeQuietly(selector);
            closeQuietly(server);
        }
        workers.shutdownNow();
        try {
            if (!workers.awaitTermination(1000, TimeUnit.MILLISECONDS)) {
                LOG.warn("a /metrics rendering is still running after the endpoint closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
