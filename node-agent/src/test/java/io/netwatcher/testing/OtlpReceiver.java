package io.netwatcher.testing;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okhttp3.Protocol;
import okio.Buffer;

/**
 * An OTLP collector in the test JVM: OTLP/HTTP (protobuf) or OTLP/gRPC (HTTP/2 without TLS) on
 * loopback, decoding every request with the opentelemetry-proto classes. It can also play a
 * collector that is down (HTTP 503 / gRPC UNAVAILABLE for every request).
 */
public final class OtlpReceiver implements AutoCloseable {
    private static final String GRPC_METRICS = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    private static final String GRPC_TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    /** A metric with the resource it came with. */
    public record ReceivedMetric(Resource resource, Metric metric) {
    }

    /** A span with the resource it came with. */
    public record ReceivedSpan(Resource resource, Span span) {
    }

    private final boolean grpc;
    private final MockWebServer server = new MockWebServer();
    private final List<ExportMetricsServiceRequest> metrics = new ArrayList<>();
    private final List<ExportTraceServiceRequest> traces = new ArrayList<>();
    private final List<String> unexpected = new ArrayList<>();
    private volatile boolean down;
    private int requests;

    private OtlpReceiver(boolean grpc) {
        this.grpc = grpc;
    }

    public static OtlpReceiver http() throws IOException {
        return new OtlpReceiver(false).start();
    }

    public static OtlpReceiver grpc() throws IOException {
        return new OtlpReceiver(true).start();
    }

    private OtlpReceiver start() throws IOException {
        if (grpc) {
            server.setProtocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE));
        }
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                return handle(r);
            }
        });
        server.start(InetAddress.getLoopbackAddress(), 0);
        return this;
    }

    /** The endpoint to configure (OTEL_EXPORTER_OTLP_ENDPOINT). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /**
     * Empties MockWebServer's own queue of recorded requests (with their bodies): this receiver
     * keeps what it decoded, and tests that measure the agent's heap in this JVM must not count
     * the server's copies.
     */
    private void forgetRecorded() {
        try {
            while (server.takeRequest(0, java.util.concurrent.TimeUnit.MILLISECONDS) != null) {
                // dropped
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Fails every request from now on (or not). */
    public void down(boolean down) {
        this.down = down;
    }

    private MockResponse handle(RecordedRequest r) {
        String path = r.getUrl().encodedPath();
        byte[] body = r.getBody() == null ? new byte[0] : r.getBody().toByteArray();
        forgetRecorded();
        synchronized (this) {
            requests++;
        }
        if (down) {
            return grpc ? grpcResponse(14, "collector down") : new MockResponse.Builder().code(503).build();
        }
        try {
            if (grpc) {
                byte[] msg = unframe(body);
                if (path.equals(GRPC_METRICS)) {
                    add(metrics, ExportMetricsServiceRequest.parseFrom(msg));
                } else if (path.equals(GRPC_TRACES)) {
                    add(traces, ExportTraceServiceRequest.parseFrom(msg));
                } else {
                    return unexpected(path, grpcResponse(12, "unimplemented"));
                }
                return grpcResponse(0, null);
            }
            if (!"application/x-protobuf".equals(r.getHeaders().get("Content-Type"))) {
                return unexpected(path + " content type " + r.getHeaders().get("Content-Type"),
                        new MockResponse.Builder().code(415).build());
            }
            switch (path) {
                case "/v1/metrics" -> add(metrics, ExportMetricsServiceRequest.parseFrom(body));
                case "/v1/traces" -> add(traces, ExportTraceServiceRequest.parseFrom(body));
                default -> {
                    return unexpected(path, new MockResponse.Builder().code(404).build());
                }
            }
            return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/x-protobuf").build();
        } catch (IOException e) {
            return unexpected(path + ": " + e, new MockResponse.Builder().code(400).build());
        }
    }

    private synchronized <T> void add(List<T> list, T request) {
        list.add(request);
        notifyAll();
    }

    private synchronized MockResponse unexpected(String what, MockResponse response) {
        unexpected.add(what);
        return response;
    }

    /** gRPC length-prefixed message: 1 byte compressed flag, 4 bytes big-endian length. */
    private static byte[] unframe(byte[] body) throws IOException {
        if (body.length < 5 || body[0] != 0) {
            throw new IOException("not an uncompressed gRPC message (" + body.length + " bytes)");
        }
        int len = ((body[1] & 0xff) << 24) | ((body[2] & 0xff) << 16) | ((body[3] & 0xff) << 8) | (body[4] & 0xff);
        if (len != body.length - 5) {
            throw new IOException("gRPC message length " + len + " but " + (body.length - 5) + " bytes");
        }
        return java.util.Arrays.copyOfRange(body, 5, body.length);
    }

    private static MockResponse grpcResponse(int status, String message) {
        Headers.Builder trailers = new Headers.Builder().add("grpc-status", Integer.toString(status));
        if (message != null) {
            trailers.add("grpc-message", message);
        }
        Buffer empty = new Buffer().write(new byte[5]); // an empty Export*ServiceResponse
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/grpc").body(empty)
                .trailers(trailers.build()).build();
    }

    public synchronized int requests() {
        return requests;
    }

    public synchronized List<String> unexpected() {
        return List.copyOf(unexpected);
    }

    /** Every metric data set received so far, in arrival order. */
    public synchronized List<ReceivedMetric> metrics() {
        List<ReceivedMetric> out = new ArrayList<>();
        for (ExportMetricsServiceRequest req : metrics) {
            for (ResourceMetrics rm : req.getResourceMetricsList()) {
                for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                    for (Metric m : sm.getMetricsList()) {
                        out.add(new ReceivedMetric(rm.getResource(), m));
                    }
                }
            }
        }
        return out;
    }

    /** The most recent data set of a metric, or null. */
    public ReceivedMetric latest(String name) {
        List<ReceivedMetric> all = metrics().stream().filter(m -> m.metric().getName().equals(name)).toList();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    public synchronized List<ReceivedSpan> spans() {
        List<ReceivedSpan> out = new ArrayList<>();
        for (ExportTraceServiceRequest req : traces) {
            for (ResourceSpans rs : req.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    for (Span s : ss.getSpansList()) {
                        out.add(new ReceivedSpan(rs.getResource(), s));
                    }
                }
            }
        }
        return out;
    }

    /** Waits until {@code done} holds for this receiver, or fails with {@code what}. */
    public void await(Predicate<OtlpReceiver> done, long timeoutMs, String what) throws InterruptedException {
        await(done, timeoutMs, () -> what);
    }

    /** Waits until {@code done} holds; {@code what} describes it (and what was seen) on failure. */
    public synchronized void await(Predicate<OtlpReceiver> done, long timeoutMs, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!done.test(this)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("OTLP receiver: timed out waiting for " + what.get() + "; metrics received: "
                        + metrics().stream().map(m -> m.metric().getName()).distinct().toList() + ", spans: "
                        + spans().size() + ", unexpected requests: " + unexpected);
            }
            wait(Math.min(left, 200));
        }
    }

    /** Attributes as a plain map (string, int, bool and double values as strings). */
    public static Map<String, String> attrs(List<KeyValue> kvs) {
        return kvs.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> text(kv.getValue()), (a, b) -> b));
    }

    private static String text(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case INT_VALUE -> Long.toString(v.getIntValue());
            case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
            case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
            default -> v.toString();
        };
    }

    @Override
    public void close() {
        server.close();
    }
}
