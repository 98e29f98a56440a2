package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Role;
import io.netwatcher.event.Tuple;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.kube.IpKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Spans and event metrics from events: kernel timestamps, parents, attributes. */
class TracingTest {
    static final long OFFSET = 1_700_000_000_000_000_000L; // epoch = monotonic + OFFSET
    static final Tuple CLIENT_SIDE = new Tuple(Tuple.AF_INET, 0, IpKey.parse("198.18.0.2").lo(), 40000, 0,
            IpKey.parse("198.18.0.1").lo(), 8080);

    final KernelMetricsTest.FakeCgroups labels = new KernelMetricsTest.FakeCgroups();
    final WhoAttributes attributes = new WhoAttributes();
    final InMemorySpanExporter spans = InMemorySpanExporter.create();
    final SdkTracerProvider tracer = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    final Tracing tracing = new Tracing(tracer.get("test"), attributes, new MonotonicClock(OFFSET));

    static ConnStats stats(long startNs, long cgroup, Role role, long sent, long received, long srttUs) {
        return new ConnStats(startNs, startNs, cgroup, sent, received, 0, 10, srttUs, 10, 10, 20, 65535, 65535, 2, 1, 1,
                0, 0, 0, 46080, 0, 131072, 0, 42, 0, "curl", role, 1, true);
    }

    @Test
    void aPacketIsATraceWithASpanPerLayerOnKernelTimestamps() {
        labels.paths.put(5L, "/pod-a");
        long[] stamps = new long[Layouts.MAX_STAMPS];
        stamps[0] = 1_000_000;  // link
        stamps[1] = 1_003_000;  // ip
        stamps[2] = 1_004_000;  // tcp
        stamps[3] = 1_010_000;  // socket queue
        stamps[4] = 1_510_000;  // read
        // An rx packet at the server: from the client (198.18.0.2:40000) to the server.
        labels.send(tracing, new PacketEvent(stamps[0], 77, 5, 42, "srv", CLIENT_SIDE, Direction.RX, 1234, 99, 1448,
                stamps, null));
        List<SpanData> all = spans.getFinishedSpanItems();
        assertEquals(5, all.size(), "a root and 4 layers: " + all);
        SpanData root = all.stream().filter(s -> s.getName().equals("packet receive")).findFirst().orElseThrow();
        assertTrue(!root.getParentSpanContext().isValid(), "the packet span is a root");
        assertEquals(OFFSET + 1_000_000, root.getStartEpochNanos());
        assertEquals(OFFSET + 1_510_000, root.getEndEpochNanos());
        assertEquals("/pod-a", root.getAttributes().get(Attr.CGROUP));
        assertEquals(1234L, root.getAttributes().get(Attr.SEQ));
        assertEquals("receive", root.getAttributes().get(Attr.NETWORK_IO_DIRECTION));
        assertEquals("198.18.0.2:40000", root.getAttributes().get(Attr.PACKET_SRC));
        assertEquals("198.18.0.1:8080", root.getAttributes().get(Attr.PACKET_DST));
        assertEquals("198.18.0.1", root.getAttributes().get(Attr.NETWORK_LOCAL_ADDRESS), "local is the receiver");
        assertEquals(40000L, root.getAttributes().get(Attr.NETWORK_PEER_PORT));
        Map<String, long[]> layers = new java.util.HashMap<>();
        for (SpanData s : all) {
            if (s != root) {
                assertEquals(root.getTraceId(), s.getTraceId());
                assertEquals(root.getSpanId(), s.getParentSpanId());
                assertEquals(s.getName(), s.getAttributes().get(Attr.LAYER));
                layers.put(s.getName(), new long[] {s.getStartEpochNanos() - OFFSET, s.getEndEpochNanos() - OFFSET});
            }
        }
        assertEquals(List.of(1_000_000L, 1_003_000L), List.of(layers.get("link")[0], layers.get("link")[1]));
        assertEquals(List.of(1_010_000L, 1_510_000L), List.of(layers.get("socket")[0], layers.get("socket")[1]));
    }

    @Test
    void layersWithAMissingBoundaryAreLeftOut() {
        long[] stamps = new long[Layouts.MAX_STAMPS];
        stamps[0] = 500;
        stamps[1] = 900;
        stamps[3] = 2000;
        labels.send(tracing, new PacketEvent(500, 1, 0, 0, "", CLIENT_SIDE, Direction.TX, 1, 1, 1, stamps, null));
        List<String> names = spans.getFinishedSpanItems().stream().map(SpanData::getName).sorted().toList();
        assertEquals(List.of("packet transmit", "tcp_ip"), names);
    }

    @Test
    void aClosedConnectionIsASpanWithItsRetransmitsAndResets() {
        labels.paths.put(5L, "/pod-a");
        ConnStats s = stats(2_000_000_000L, 5, Role.CLIENT, 5000, 700, 250);
        labels.send(tracing, new ErrorEvent(ErrorKind.RETRANSMIT, 2_100_000_000L, 9, 5, 42, "curl", CLIENT_SIDE, 2, 1, 555,
                0, 0));
        labels.send(tracing, new ErrorEvent(ErrorKind.RESET, 2_200_000_000L, 9, 5, 42, "curl", CLIENT_SIDE, 1, 1, 0, 0, 0));
        labels.send(tracing, new ErrorEvent(ErrorKind.RETRANSMIT, 2_100_000_000L, 10, 5, 42, "curl", CLIENT_SIDE, 1, 1, 1,
                0, 0)); // another socket
        labels.send(tracing, new ConnEvent(ConnEvent.Kind.CLOSE, 2_300_000_000L, 9, CLIENT_SIDE, 1, s));
        SpanData c = spans.getFinishedSpanItems().get(0);
        assertEquals("tcp connection", c.getName());
        assertEquals(SpanKind.CLIENT, c.getKind());
        assertEquals(OFFSET + 2_000_000_000L, c.getStartEpochNanos());
        assertEquals(OFFSET + 2_300_000_000L, c.getEndEpochNanos());
        assertEquals(5000L, c.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey(
                "netwatcher.tcp.bytes_sent")));
        assertEquals("198.18.0.1", c.getAttributes().get(Attr.NETWORK_PEER_ADDRESS));
        List<EventData> ev = c.getEvents();
        assertEquals(List.of("retransmit", "reset"), ev.stream().map(EventData::getName).toList());
        assertEquals("timeout", ev.get(0).getAttributes().get(Attr.RETRANSMIT_KIND));
        assertEquals(OFFSET + 2_100_000_000L, ev.get(0).getEpochNanos());
        assertEquals("received", ev.get(1).getAttributes().get(Attr.RESET_DIRECTION));
    }

    @Test
    void aConnectionOpenedBeforeTheAgentHasNoSpan() {
        labels.send(tracing, new ConnEvent(ConnEvent.Kind.CLOSE, 5, 9, CLIENT_SIDE, 1, stats(0, 5, Role.SERVER, 1, 1, 1)));
        assertTrue(spans.getFinishedSpanItems().isEmpty());
    }

    @Test
    void eventMetricsRecordRttDurationAndBytesPerCgroup() {
        labels.paths.put(5L, "/pod-a");
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        try (SdkMeterProvider p = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
            EventMetrics m = new EventMetrics(p.get("test"), attributes);
            ConnStats s = stats(1_000_000_000L, 5, Role.CLIENT, 5000, 700, 250);
            labels.send(m, new ConnEvent(ConnEvent.Kind.UPDATE, 2_000_000_000L, 9, CLIENT_SIDE, 1, s));
            labels.send(m, new ConnEvent(ConnEvent.Kind.CLOSE, 3_500_000_000L, 9, CLIENT_SIDE, 1, s));
            labels.send(m, new FlowEvent(2_000_000_000L, 9, 5, 42, "curl", CLIENT_SIDE, 1_000_000_000L, 3000, 700, 3000, 700));
            labels.send(m, new FlowEvent(3_000_000_000L, 9, 5, 42, "curl", CLIENT_SIDE, 1_000_000_000L, 2000, 0, 5000, 700));
            Collection<MetricData> all = reader.collectAllMetrics();
            HistogramPointData rtt = KernelMetricsTest.metric(all, "netwatcher.tcp.rtt").getHistogramData().getPoints()
                    .iterator().next();
            assertEquals(1, rtt.getCount());
            assertEquals(250e-6, rtt.getSum(), 1e-12);
            assertEquals("/pod-a", rtt.getAttributes().get(Attr.CGROUP));
            assertEquals("ipv4", rtt.getAttributes().get(Attr.NETWORK_TYPE));
            HistogramPointData d = KernelMetricsTest.metric(all, "netwatcher.tcp.connection.duration")
                    .getHistogramData().getPoints().iterator().next();
            assertEquals(2.5, d.getSum(), 1e-9);
            assertEquals("client", d.getAttributes().get(Attr.ROLE));
            Map<String, Long> bytes = new java.util.HashMap<>();
            for (LongPointData b : KernelMetricsTest.metric(all, "netwatcher.tcp.bytes").getLongSumData().getPoints()) {
                assertTrue(b.getAttributes().get(Attr.NETWORK_PEER_PORT) == null, "no per-connection attributes");
                bytes.put(b.getAttributes().get(Attr.NETWORK_IO_DIRECTION), b.getValue());
            }
            assertEquals(Map.of("transmit", 5000L, "receive", 700L), bytes);
        }
    }
}
