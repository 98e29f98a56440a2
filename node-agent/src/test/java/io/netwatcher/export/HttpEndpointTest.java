package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health and metrics endpoint under slow and many clients: half-sent requests, clients that do
 * not read, hundreds of concurrent requests. The probes must keep answering within a second.
 */
class HttpEndpointTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Socket> sockets = new ArrayList<>();
    private final AtomicReference<String> notLive = new AtomicReference<>();
    private final AtomicReference<String> notReady = new AtomicReference<>();
    private HttpEndpoint endpoint;

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }

    private HttpEndpoint start(NioHttpServer.Limits limits, PrometheusRegistry registry) throws IOException {
        endpoint = new HttpEndpoint("127.0.0.1", 0, limits, registry, notLive::get, notReady::get);
        return endpoint;
    }

    private HttpResponse<String> get(String path, Duration timeout) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path))
                .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A client that connects and sends the start of a request head, never the blank line that ends it. */
    private Socket halfSent() throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", endpoint.port()), 2000);
        OutputStream o = s.getOutputStream();
        o.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        o.flush();
        return s;
    }

    @Test
    void halfSentRequestsDoNotStallTheProbes() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, new PrometheusRegistry());
        for (int i = 0; i < 100; i++) {
            halfSent();
        }
        Thread.sleep(200); // all of them read by the server, waiting for the rest of their heads
        for (String path : List.of("/healthz", "/readyz", "/metrics")) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = get(path, Duration.ofSeconds(1));
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, path + " answered within a second");
        }
    }

    @Test
    void slowClientsAreClosedAfterTheHeadTimeoutAndTheOldestGoFirst() throws Exception {
        start(NioHttpServer.Limits.DEFAULT.withMaxConnections(16).withTimeouts(500, 30_000, 5_000), new PrometheusRegistry());
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 40; i++) { // more than the 16 connections the server keeps
            slow.add(halfSent());
        }
        assertEquals(200, get("/healthz", Duration.ofSeconds(1)).statusCode(), "answers beyond the connection cap");
        assertTrue(endpoint.server().openConnections() <= 16, "open: " + endpoint.server().openConnections());
        for (Socket s : slow) { // every slow client is cut off by the head timeout (or evicted before)
            s.setSoTimeout(3000);
            InputStream in = s.getInputStream();
            try {
                assertEquals(-1, in.read(), "closed without a response");
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a slow client was kept open past the head timeout", e);
            } catch (IOException e) {
                // reset: closed as well
            }
        }
    }

    /** A registry of about 5 MiB of text: far more than the socket buffers of a client that does not read take. */
    private static PrometheusRegistry bigRegistry() {
        PrometheusRegistry registry = new PrometheusRegistry();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, registry, Clock.SYSTEM);
        for (int i = 0; i < 50_000; i++) {
            Counter.builder("netwatcher.test.padding").tag("series", "a-rather-long-label-value-to-fill-the-buffers-" + i)
                    .register(meters).increment();
        }
        return registry;
    }

    /** A client at {@code from} (a loopback address) that asks for /metrics with a small receive window and never reads. */
    private Socket stuckScraper(String from) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.setReceiveBufferSize(4096); // before connecting: a small window
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", endpoint.port()));
        s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    private static final String LAST_SERIES = "netwatcher_test_padding_total{series=\"a-rather-long-label-value-to-fill-the-"
            + "buffers-49999\"} 1.0";

    @Test
    void scrapersThatDoNotReadCannotTurnAwayAScrape() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, bigRegistry());
        for (int i = 0; i < 6; i++) { // more than workers and queue took: from the scraper's own address
            stuckScraper("127.0.0.1");
        }
        for (int i = 0; i < 6; i++) { // and from other pods
            stuckScraper("127.0.0." + (2 + i % 3));
        }
        Thread.sleep(500); // all of them asked and are stuck
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = get("/metrics", Duration.ofSeconds(5));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, r.statusCode(), "scrape " + round + " next to the stuck scrapers: " + r.body());
            assertTrue(r.body().endsWith(LAST_SERIES + "\n") || r.body().contains(LAST_SERIES), "the whole text");
            assertTrue(ms < 3000, "scrape " + round + " took " + ms + " ms");
            stuckScraper(round % 2 == 0 ? "127.0.0.1" : "127.0.0.2"); // and another one
            Thread.sleep(400);
        }
        assertTrue(endpoint.server().heldRenderings() <= NioHttpServer.Limits.DEFAULT.renderings(),
                "renderings held: " + endpoint.server().heldRenderings());
        assertEquals(200, get("/healthz", Duration.ofSeconds(1)).statusCode());
    }

    @Test
    void aScraperThatStopsReadingIsClosedAndItsRenderingFreed() throws Exception {
        start(NioHttpServer.Limits.DEFAULT.withTimeouts(10_000, 30_000, 1000), bigRegistry());
        Socket stuck = stuckScraper("127.0.0.2");
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (endpoint.server().heldRenderings() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, endpoint.server().heldRenderings(), "its rendering is held while it is written");
        long t0 = System.nanoTime();
        deadline = t0 + 5_000_000_000L;
        while ((endpoint.server().openConnections() > 0 || endpoint.server().heldRenderings() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, endpoint.server().openConnections(), "closed after the stall timeout");
        assertEquals(0, endpoint.server().heldRenderings(), "and its rendering released");
        assertTrue(ms < 3000, "closed " + ms + " ms after it stopped reading (stall timeout 1 s)");
        stuck.setSoTimeout(2000);
        InputStream in = stuck.getInputStream();
        try {
            while (in.read(new byte[65536]) >= 0) {
                // what the socket buffers held, then the end
            }
        } catch (IOException e) {
            // reset: closed as well
        }
    }

    @Test
    void scrapesOfTheSameSecondShareOneRenderingAndGzipIsServedAsStored() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, bigRegistry());
        URI metrics = URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics");
        var plainAsked = HTTP.sendAsync(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        var gzAsked = HTTP.sendAsync(HttpRequest.newBuilder(metrics).header("Accept-Encoding", "gzip")
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<String> plain = plainAsked.get();
        HttpResponse<byte[]> gz = gzAsked.get();
        assertEquals(1, endpoint.server().rendered(), "one rendering for both");
        assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(""));
        assertEquals(String.valueOf(gz.body().length), gz.headers().firstValue("Content-Length").orElse(""));
        String unzipped = new String(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertEquals(plain.body(), unzipped, "the same text");
        assertEquals(String.valueOf(plain.body().getBytes(StandardCharsets.UTF_8).length),
                plain.headers().firstValue("Content-Length").orElse(""));
        assertTrue(plain.body().contains(LAST_SERIES));
        System.out.printf("/metrics of 50,000 series: %d bytes of text, %d bytes held (gzip)%n",
                plain.body().length(), gz.body().length);
        assertTrue(gz.body().length * 10 < plain.body().length(), "held compressed");
        Thread.sleep(1100);
        assertEquals(200, get("/metrics", Duration.ofSeconds(5)).statusCode());
        assertEquals(2, endpoint.server().rendered(), "a scrape a second later gets a new rendering");
    }

    @Test
    void whileRenderingsAreHeldByStuckScrapersANewScrapeGetsTheNewestInsteadOfAThird() throws Exception {
        start(NioHttpServer.Limits.DEFAULT.withRenderings(2), bigRegistry());
        stuckScraper("127.0.0.2");
        Thread.sleep(1200);
        stuckScraper("127.0.0.3"); // a second rendering, a second later
        Thread.sleep(1200);
        HttpResponse<String> r = get("/metrics", Duration.ofSeconds(5));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains(LAST_SERIES));
        assertEquals(2, endpoint.server().rendered(), "no third rendering while two are held");
        assertTrue(endpoint.server().heldRenderings() <= 2);
    }

    @Test
    void unreadRequestBytesDoNotCutTheEndOfAMetricsResponse() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, bigRegistry());
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", endpoint.port()));
            s.setSoTimeout(10_000);
            // A request with a body the server never reads: closing with it unread would reset the
            // connection and discard what the kernel had not sent yet.
            String junk = "x".repeat(100_000);
            s.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " + junk.length()
                    + "\r\n\r\n" + junk).getBytes(StandardCharsets.US_ASCII));
            // Read at about 2 MB/s: the server has written everything long before the client has it.
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
                Thread.sleep(2);
            }
            String answer = got.toString(StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer.substring(0, Math.min(100, answer.length())));
            assertTrue(answer.endsWith(LAST_SERIES + "\n") || answer.contains(LAST_SERIES),
                    "the whole text: " + answer.length() + " bytes");
        }
    }

    @Test
    void closingEndsEveryConnectionAndFreesThePort() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, bigRegistry());
        List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(halfSent());
        }
        Socket stuck = stuckScraper("127.0.0.2");
        Thread.sleep(300);
        int port = endpoint.port();
        long t0 = System.nanoTime();
        endpoint.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        endpoint = null;
        assertTrue(ms < 2000, "closed in " + ms + " ms");
        waiting.add(stuck);
        for (Socket s : waiting) {
            s.setSoTimeout(2000);
            try {
                InputStream in = s.getInputStream();
                while (in.read(new byte[65536]) >= 0) {
                    // what was buffered, then the end
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a connection was left open by close()", e);
            } catch (IOException e) {
                // reset: closed as well
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            throw new AssertionError("still accepting after close()");
        } catch (IOException e) {
            // refused: the port is free
        }
    }

    @Test
    void theHeadEndIsFoundWhereverTheReadsSplitIt() {
        byte[] head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int split = 0; split <= head.length; split++) {
            ByteBuffer b = ByteBuffer.allocate(64);
            b.put(head, 0, split);
            int first = NioHttpServer.headEnd(b, 0);
            b.put(head, split, head.length - split);
            int end = first >= 0 ? first : NioHttpServer.headEnd(b, split);
            assertEquals(head.length, end, "split at " + split);
        }
        assertTrue(NioHttpServer.acceptsGzip("gzip, deflate, br"));
        assertTrue(NioHttpServer.acceptsGzip("deflate;q=1, GZIP;q=0.5"));
        assertTrue(NioHttpServer.acceptsGzip("*"));
        assertTrue(!NioHttpServer.acceptsGzip("gzip;q=0") && !NioHttpServer.acceptsGzip("identity"));
    }

    @Test
    void manyConcurrentClientsAreAllAnswered() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, new PrometheusRegistry());
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 400; i++) {
                String path = i % 4 == 0 ? "/metrics" : i % 2 == 0 ? "/readyz" : "/healthz";
                results.add(pool.submit(() -> {
                    // A scrape may be turned away (503) when more are in flight than workers and queue take.
                    int s = get(path, Duration.ofSeconds(5)).statusCode();
                    return path.equals("/metrics") && s == 503 ? 200 : s;
                }));
            }
            for (Future<Integer> f : results) {
                assertEquals(200, f.get());
            }
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "400 requests in under 10 s");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void healthSaysWhyAndTheProtocolBasicsHold() throws Exception {
        start(NioHttpServer.Limits.DEFAULT, new PrometheusRegistry());
        notLive.set("ring buffer reader made no progress for 31 s");
        notReady.set("probes not attached yet");
        HttpResponse<String> live = get("/healthz", Duration.ofSeconds(1));
        assertEquals(503, live.statusCode());
        assertEquals("not live: ring buffer reader made no progress for 31 s\n", live.body());
        HttpResponse<String> ready = get("/readyz", Duration.ofSeconds(1));
        assertEquals(503, ready.statusCode());
        assertEquals("not ready: probes not attached yet\n", ready.body());
        notLive.set(null);
        notReady.set(null);
        assertEquals("ok\n", get("/healthz", Duration.ofSeconds(1)).body());
        assertEquals("ready\n", get("/readyz?verbose", Duration.ofSeconds(1)).body());
        assertEquals(404, get("/nope", Duration.ofSeconds(1)).statusCode());
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port()
                + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode(), "a request with a body still gets its answer");
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
        HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port()
                + "/metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
        assertTrue(head.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        try (Socket s = new Socket("127.0.0.1", endpoint.port())) {
            s.getOutputStream().write("NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        }
        try (Socket s = new Socket("127.0.0.1", endpoint.port())) {
            byte[] huge = ("GET / HTTP/1.1\r\nX: " + "a".repeat(10_000)).getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(huge);
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 431 "), answer);
        }
    }
}
