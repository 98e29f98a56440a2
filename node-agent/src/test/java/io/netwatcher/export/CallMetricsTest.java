package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netwatcher.event.CallCountEvent;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** netwatcher.kernel.calls: the calls of call_count events summed per pod and function, never per process. */
class CallMetricsTest {
    private final KernelMetricsTest.FakeCgroups labels = new KernelMetricsTest.FakeCgroups();

    private static CallCountEvent calls(long cgroup, int pid, String function, long n) {
        return new CallCountEvent(5_000_000_000L, 1_000_000_000L, cgroup, pid, "p" + pid, function, n, n);
    }

    @Test
    void callsAreSummedPerPodAndFunctionAcrossProcesses() {
        labels.paths.put(5L, "/pod-a");
        labels.paths.put(6L, "/pod-b");
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        try (SdkMeterProvider p = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
            EventMetrics m = new EventMetrics(p.get("test"), new WhoAttributes());
            labels.send(m, calls(5, 100, "tcp_sendmsg", 7));
            labels.send(m, calls(5, 101, "tcp_sendmsg", 3));
            labels.send(m, calls(5, 100, "skb_clone", 20));
            labels.send(m, calls(6, 200, "tcp_sendmsg", 1));
            labels.send(m, calls(5, 100, "tcp_sendmsg", 5));
            MetricData metric = KernelMetricsTest.metric(reader.collectAllMetrics(), "netwatcher.kernel.calls");
            assertEquals("{call}", metric.getUnit());
            assertEquals(true, metric.getLongSumData().isMonotonic());
            Map<String, Long> counts = new HashMap<>();
            for (LongPointData d : metric.getLongSumData().getPoints()) {
                Attributes a = d.getAttributes();
                assertEquals(2, a.size(), "who and the function only (no pid, no comm): " + a);
                counts.put(a.get(Attr.CGROUP) + " " + a.get(Attr.FUNCTION), d.getValue());
            }
            assertEquals(Map.of("/pod-a tcp_sendmsg", 15L, "/pod-a skb_clone", 20L, "/pod-b tcp_sendmsg", 1L),
                    counts);
        }
    }
}
