package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
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
        start(new NioHttpServer.Limits(16, 500, 30_000, 2, 4), new PrometheusRegistry());
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

    @Test
    void aScraperThatDoesNotReadHoldsAWorkerOnlyUntilTheResponseTimeout() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, registry, Clock.SYSTEM);
        for (int i = 0; i < 50_000; i++) { // 5 MiB of text: more than the socket buffers take
            Counter.builder("netwatcher.test.padding").tag("series", "a-rather-long-label-value-to-fill-the-buffers-" + i)
                    .register(meters).increment();
        }
        start(new NioHttpServer.Limits(64, 10_000, 1500, 1, 1), registry);
        List<Socket> stuck = new ArrayList<>();
        for (int i = 0; i < 2; i++) { // one on the only worker, one queued
            Socket s = new Socket();
            sockets.add(s);
            s.setReceiveBufferSize(4096); // before connecting: a small window
            s.connect(new InetSocketAddress("127.0.0.1", endpoint.port()));
            s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            stuck.add(s);
        }
        Thread.sleep(300);
        assertEquals(200, get("/healthz", Duration.ofSeconds(1)).statusCode(), "probes answer meanwhile");
        HttpResponse<String> busy = get("/metrics", Duration.ofSeconds(1));
        assertEquals(503, busy.statusCode(), "a third scrape is turned away, not queued forever");
        // After the response timeout the stuck ones are cut off and a scrape succeeds again.
        long deadline = System.nanoTime() + 10_000_000_000L;
        HttpResponse<String> ok;
        do {
            Thread.sleep(250);
            ok = get("/metrics", Duration.ofSeconds(5));
        } while (ok.statusCode() != 200 && System.nanoTime() < deadline);
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("netwatcher_test_padding_total{series=\"a-rather-long-label-value-to-fill-the-"
                + "buffers-49999\"} 1.0"), "the whole text");
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
