package io.netwatcher.export;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * The agent's one HTTP port: {@code /metrics} (every pod metric and self-metric in the Prometheus
 * or OpenMetrics text format, as the scraper's Accept header asks), {@code /healthz} (liveness:
 * 503 when the agent can make no progress) and {@code /readyz} (readiness: 503 with the reason
 * while the probes are not attached or, in Kubernetes mode, the pod cache is not synced or the
 * API server has been unreachable too long). See docs/operations.md#health. Served by
 * {@link NioHttpServer}: slow or many clients cannot stall the probes.
 */
public final class HttpEndpoint implements AutoCloseable {
    private final NioHttpServer server;
    private final PrometheusRegistry registry;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Supplier<String> notLive;
    private final Supplier<String> notReady;

    /**
     * @param notLive  why the agent is not live (no progress possible), or null when it is
     * @param notReady why the agent is not ready, or null when it is
     */
    public HttpEndpoint(String address, int port, PrometheusRegistry registry, Supplier<String> notLive,
                        Supplier<String> notReady) throws IOException {
        this(address, port, NioHttpServer.Limits.DEFAULT, registry, notLive, notReady);
    }

    HttpEndpoint(String address, int port, NioHttpServer.Limits limits, PrometheusRegistry registry,
                 Supplier<String> notLive, Supplier<String> notReady) throws IOException {
        this.registry = registry;
        this.notLive = notLive;
        this.notReady = notReady;
        this.server = new NioHttpServer(address, port, limits, this::handle);
    }

    public int port() {
        return server.port();
    }

    NioHttpServer server() {
        return server;
    }

    private NioHttpServer.Response handle(NioHttpServer.Request r) {
        if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
            return NioHttpServer.Response.text(405, "method not allowed\n", "Allow: GET, HEAD");
        }
        return switch (r.path()) {
            case "/metrics" -> metrics(r);
            case "/healthz" -> status(notLive.get(), "ok", "not live");
            case "/readyz" -> status(notReady.get(), "ready", "not ready");
            default -> NioHttpServer.Response.text(404, "not found: try /metrics, /healthz, /readyz\n");
        };
    }

    private static NioHttpServer.Response status(String why, String ok, String not) {
        return why == null ? NioHttpServer.Response.text(200, ok + "\n")
                : NioHttpServer.Response.text(503, not + ": " + why + "\n");
    }

    private NioHttpServer.Response metrics(NioHttpServer.Request r) {
        ExpositionFormatWriter chosen = formats.findWriter(r.accept());
        ExpositionFormatWriter writer = chosen.isAvailable() ? chosen // protobuf asked for: not shipped
                : formats.getPrometheusTextFormatWriter();
        // Rendered on a worker (registry.scrape() holds every snapshot in the heap meanwhile) into
        // gzip-compressed memory shared by the scrapes of the same second; written by the selector
        // thread, so a scraper that does not read holds no thread.
        return NioHttpServer.Response.rendered(writer.getContentType(), out -> writer.write(out, registry.scrape()));
    }

    @Override
    public void close() {
        server.close();
    }
}
