package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Layer;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** netwatcher.latency.anomalies: one count per anomaly event, by who, direction and layer. */
class AnomalyMetricsTest {
    private final KernelMetricsTest.FakeCgroups labels = new KernelMetricsTest.FakeCgroups();

    private static AnomalyEvent anomaly(long cgroup, Direction d, Layer layer) {
        return new AnomalyEvent(5_000_000_000L, 1_000_000_000L, cgroup, d, layer, 500, 8_000_000, 4_000, 104_000, 20);
    }

    @Test
    void anomaliesAreCountedPerPodDirectionAndLayer() {
        labels.paths.put(5L, "/pod-a");
        labels.paths.put(6L, "/pod-b");
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        try (SdkMeterProvider p = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
            EventMetrics m = new EventMetrics(p.get("test"), new WhoAttributes());
            labels.send(m, anomaly(5, Direction.TX, Layer.TX_QDISC));
            labels.send(m, anomaly(5, Direction.TX, Layer.TX_QDISC));
            labels.send(m, anomaly(5, Direction.RX, Layer.TOTAL));
            labels.send(m, anomaly(6, Direction.RX, Layer.RX_SOCKET));
            MetricData metric = KernelMetricsTest.metric(reader.collectAllMetrics(), "netwatcher.latency.anomalies");
            assertEquals("{interval}", metric.getUnit());
            assertEquals(true, metric.getLongSumData().isMonotonic());
            Map<String, Long> counts = new HashMap<>();
            for (LongPointData d : metric.getLongSumData().getPoints()) {
                Attributes a = d.getAttributes();
                assertEquals("tcp", a.get(Attr.NETWORK_TRANSPORT));
                counts.put(a.get(Attr.CGROUP) + " " + a.get(Attr.NETWORK_IO_DIRECTION) + " " + a.get(Attr.LAYER),
                        d.getValue());
            }
            assertEquals(Map.of("/pod-a transmit qdisc", 2L, "/pod-a receive total", 1L,
                    "/pod-b receive socket", 1L), counts);
        }
    }
}
