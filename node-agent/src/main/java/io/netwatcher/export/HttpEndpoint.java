package io.netwatcher.export;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one HTTP port: {@code /metrics} (every pod metric and self-metric in the Prometheus
 * or OpenMetrics text format, as the scraper's Accept header asks), {@code /healthz} (the process
 * answers) and {@code /readyz} (200 once probes are attached and, in Kubernetes mode, the pod
 * cache is synced; 503 with the reason before).
 */
public final class HttpEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusRegistry registry;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Supplier<String> notReady;

    /**
     * @param notReady why the agent is not ready, or null when it is
     */
    public HttpEndpoint(String address, int port, PrometheusRegistry registry, Supplier<String> notReady)
            throws IOException {
        this.registry = registry;
        this.notReady = notReady;
        this.server = HttpServer.create(new InetSocketAddress(address, port), 16);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "nw-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                send(x, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            switch (x.getRequestURI().getPath()) {
                case "/metrics" -> metrics(x);
                case "/healthz" -> send(x, 200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8));
                case "/readyz" -> {
                    String why = notReady.get();
                    byte[] body = ((why == null ? "ready" : "not ready: " + why) + "\n").getBytes(StandardCharsets.UTF_8);
                    send(x, why == null ? 200 : 503, "text/plain; charset=utf-8", body);
                }
                default -> send(x, 404, "text/plain; charset=utf-8",
                        "not found: try /metrics, /healthz, /readyz\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (RuntimeException e) {
            LOG.warn("{} {} failed: {}", x.getRequestMethod(), x.getRequestURI(), e.toString());
            LOG.debug("request failure", e);
        }
    }

    private void metrics(HttpExchange x) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(x.getRequestHeaders().getFirst("Accept"));
        if (!writer.isAvailable()) { // protobuf asked for: not shipped
            writer = formats.getPrometheusTextFormatWriter();
        }
        // Streamed (chunked): a node with hundreds of pods has tens of thousands of series, and
        // the text must not sit in the heap at once.
        var snapshot = registry.scrape();
        x.getResponseHeaders().set("Content-Type", writer.getContentType());
        if (x.getRequestMethod().equals("HEAD")) {
            x.sendResponseHeaders(200, -1);
            return;
        }
        x.sendResponseHeaders(200, 0);
        try (OutputStream o = new BufferedOutputStream(x.getResponseBody(), 1 << 16)) {
            writer.write(o, snapshot);
        }
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream o = x.getResponseBody()) {
                o.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
