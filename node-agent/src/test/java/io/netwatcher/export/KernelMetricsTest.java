package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventListener;
import io.netwatcher.event.Layer;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NetnsCgroups;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.DnsCounter;
import io.netwatcher.kernel.DnsKind;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.NetfilterHook;
import io.netwatcher.kernel.IcmpCounter;
import io.netwatcher.kernel.IcmpKind;
import io.netwatcher.names.DropReasons;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class KernelMetricsTest {
    /** A kernel whose maps the test fills. */
    static final class FakeKernel implements KernelSource {
        final List<LayerHistogram> hists = new ArrayList<>();
        final List<LayerHistogram> udpHists = new ArrayList<>();
        final List<CgroupHistogram> connects = new ArrayList<>();
        final Map<Counter, Long> counters = new HashMap<>();
        final Map<IcmpCounter, Long> icmp = new HashMap<>();
        final Map<DnsCounter, Long> dns = new HashMap<>();
        final List<CgroupHistogram> dnsHists = new ArrayList<>();
        final List<NetfilterHistogram> nfHists = new ArrayList<>();
        final Set<Long> forgotten = new HashSet<>();

        @Override
        public List<LayerHistogram> histograms() {
            return hists;
        }

        @Override
        public List<LayerHistogram> udpHistograms() {
            return udpHists;
        }

        @Override
        public List<CgroupHistogram> connectHistograms() {
            return connects;
        }

        @Override
        public Map<Counter, Long> counters() {
            return counters;
        }

        @Override
        public Map<IcmpCounter, Long> icmpCounters() {
            return icmp;
        }

        @Override
        public Map<DnsCounter, Long> dnsCounters() {
            return dns;
        }

        @Override
        public List<CgroupHistogram> dnsHistograms() {
            return dnsHists;
        }

        @Override
        public List<NetfilterHistogram> netfilterHistograms() {
            return nfHists;
        }

        @Override
        public void forget(long cgroupId) {
            forgotten.add(cgroupId);
            dns.keySet().removeIf(k -> k.cgroupId() == cgroupId);
            dnsHists.removeIf(h -> h.cgroupId() == cgroupId);
            icmp.keySet().removeIf(k -> k.cgroupId() == cgroupId);
            hists.removeIf(h -> h.cgroupId() == cgroupId);
            connects.removeIf(h -> h.cgroupId() == cgroupId);
            counters.keySet().removeIf(k -> k.cgroupId() == cgroupId);
        }
    }

    /** Cgroup paths the test names and removes: who events and cgroups are, standalone. */
    static final class FakeCgroups {
        final Map<Long, String> paths = new HashMap<>();
        final Map<Long, Long> netns = new HashMap<>();
        final IdentityResolver resolver = new IdentityResolver(paths::get, null, null, NamespaceScope.ALL,
                n -> netns.getOrDefault(n, NetnsCgroups.UNKNOWN));

        /** Hands an event to a listener as the agent does: with who it belongs to. */
        void send(EventListener l, Event e) {
            l.onEvent(e, resolver.resolve(e));
        }
    }

    final FakeKernel kernel = new FakeKernel();
    final FakeCgroups labels = new FakeCgroups();
    final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    final InMemoryMetricReader reader = InMemoryMetricReader.create();

    SdkMeterProvider provider(int maxSeries) {
        KernelMetrics km = KernelMetrics.builder().source(kernel).identity(labels.resolver)
                .reasons(new DropReasons(Map.of(2, "NO_SOCKET", 5, "TCP_CSUM"))).maxSeries(maxSeries).version("test")
                .clock(now::get).goneGraceNs(60_000_000_000L).build();
        return SdkMeterProvider.builder().registerMetricReader(reader).registerMetricProducer(km).build();
    }

    static LayerHistogram hist(long cgroup, Direction d, int layer, long... valuesNs) {
        long[] slots = new long[LayerHistogram.SLOTS];
        long sum = 0;
        for (long v : valuesNs) {
            slots[LayerHistogram.slotOf(v)]++;
            sum += v;
        }
        return new LayerHistogram(cgroup, d, Layer.of(d, layer), valuesNs.length, sum, slots);
    }

    static MetricData metric(Collection<MetricData> all, String name) {
        return all.stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name + " in " + all.stream().map(MetricData::getName).toList()));
    }

    @Test
    void layerHistogramsBecomeSecondsHistogramsWithLog2Bounds() {
        labels.paths.put(7L, "/kubepods/pod-a/c1");
        kernel.hists.add(hist(7, Direction.RX, 0, 3_000, 5_000, 1_500_000));
        kernel.hists.add(hist(7, Direction.TX, 1, 700));
        try (SdkMeterProvider p = provider(100)) {
            Collection<MetricData> all = reader.collectAllMetrics();
            MetricData m = metric(all, KernelMetrics.LAYER_DURATION);
            assertEquals("s", m.getUnit());
            assertEquals(2, m.getHistogramData().getPoints().size());
            HistogramPointData rx = m.getHistogramData().getPoints().stream()
                    .filter(x -> "link".equals(x.getAttributes().get(Attr.LAYER))).findFirst().orElseThrow();
            assertEquals("/kubepods/pod-a/c1", rx.getAttributes().get(Attr.CGROUP));
            assertEquals("receive", rx.getAttributes().get(Attr.NETWORK_IO_DIRECTION));
            assertEquals("tcp", rx.getAttributes().get(Attr.NETWORK_TRANSPORT));
            assertEquals(3, rx.getCount());
            assertEquals((3_000 + 5_000 + 1_500_000) / 1e9, rx.getSum(), 1e-12);
            assertEquals(LayerHistogram.SLOTS - 1, rx.getBoundaries().size());
            assertEquals(2e-9, rx.getBoundaries().get(0), 1e-18);
            assertEquals(Math.pow(2, 31) / 1e9, rx.getBoundaries().get(30), 1e-9);
            // 3 us and 5 us: slots 11 (2048..4096) and 12 (4096..8192); 1.5 ms: slot 20.
            assertEquals(1, rx.getCounts().get(11));
            assertEquals(1, rx.getCounts().get(12));
            assertEquals(1, rx.getCounts().get(20));
            assertEquals(3, rx.getCounts().stream().mapToLong(Long::longValue).sum());
            HistogramPointData tx = m.getHistogramData().getPoints().stream()
                    .filter(x -> "qdisc".equals(x.getAttributes().get(Attr.LAYER))).findFirst().orElseThrow();
            assertEquals("transmit", tx.getAttributes().get(Attr.NETWORK_IO_DIRECTION));
        }
    }

    @Test
    void connectLatencyAndHandshakeFailuresArePerCgroup() {
        labels.paths.put(7L, "/kubepods/pod-a/c1");
        labels.paths.put(8L, "/kubepods/pod-b/c1");
        long[] slots = new long[LayerHistogram.SLOTS];
        slots[LayerHistogram.slotOf(150_000)] = 2;
        slots[LayerHistogram.slotOf(3_000_000)] = 1;
        kernel.connects.add(new CgroupHistogram(7, 3, 300_000 + 3_000_000, slots));
        kernel.connects.add(new CgroupHistogram(8, 0, 0, new long[LayerHistogram.SLOTS]));
        kernel.counters.put(new Counter(7, CounterKind.HANDSHAKE_FAIL, 1), 4L);
        kernel.counters.put(new Counter(7, CounterKind.HANDSHAKE_FAIL, 2), 1L);
        kernel.counters.put(new Counter(8, CounterKind.HANDSHAKE_FAIL, 3), 2L);
        try (SdkMeterProvider p = provider(100)) {
            Collection<MetricData> all = reader.collectAllMetrics();
            MetricData m = metric(all, KernelMetrics.CONNECT_DURATION);
            assertEquals("s", m.getUnit());
            assertEquals(1, m.getHistogramData().getPoints().size(), "a cgroup that never connected has no point");
            HistogramPointData h = m.getHistogramData().getPoints().iterator().next();
            assertEquals("/kubepods/pod-a/c1", h.getAttributes().get(Attr.CGROUP));
            assertEquals(3, h.getCount());
            assertEquals(3.3e-3, h.getSum(), 1e-12);
            assertEquals(2, h.getCounts().get(LayerHistogram.slotOf(150_000)));
            Map<String, Long> failures = new HashMap<>();
            for (LongPointData d : metric(all, KernelMetrics.HANDSHAKE_FAILURES).getLongSumData().getPoints()) {
                failures.put(d.getAttributes().get(Attr.CGROUP) + " " + d.getAttributes().get(Attr.HANDSHAKE_FAILURE),
                        d.getValue());
            }
            assertEquals(Map.of("/kubepods/pod-a/c1 refused", 4L, "/kubepods/pod-a/c1 timed_out", 1L,
                    "/kubepods/pod-b/c1 other", 2L), failures);
        }
    }

    @Test
    void dnsCountsByCodeAndLatencyArePerClientCgroup() {
        labels.paths.put(7L, "/kubepods/pod-a/c1");
        kernel.dns.put(new DnsCounter(7, DnsKind.QUERY, 0, 17, 4), 10L);
        kernel.dns.put(new DnsCounter(7, DnsKind.QUERY, 0, 6, 6), 2L);
        kernel.dns.put(new DnsCounter(7, DnsKind.RESPONSE, 0, 17, 4), 6L);
        kernel.dns.put(new DnsCounter(7, DnsKind.RESPONSE, 3, 17, 4), 3L);
        kernel.dns.put(new DnsCounter(7, DnsKind.RESPONSE, 2, 6, 6), 2L);
        kernel.dns.put(new DnsCounter(7, DnsKind.TIMEOUT, 0, 17, 4), 1L);
        long[] slots = new long[LayerHistogram.SLOTS];
        slots[LayerHistogram.slotOf(400_000)] = 10;
        slots[LayerHistogram.slotOf(20_000_000)] = 1;
        kernel.dnsHists.add(new CgroupHistogram(7, 11, 4_000_000 + 20_000_000, slots));
        try (SdkMeterProvider p = provider(100)) {
            Collection<MetricData> all = reader.collectAllMetrics();
            Map<String, Long> queries = new HashMap<>();
            for (LongPointData d : metric(all, KernelMetrics.DNS_QUERIES).getLongSumData().getPoints()) {
                queries.put(d.getAttributes().get(Attr.CGROUP) + " " + d.getAttributes().get(Attr.NETWORK_TRANSPORT)
                        + " " + d.getAttributes().get(Attr.NETWORK_TYPE), d.getValue());
            }
            assertEquals(Map.of("/kubepods/pod-a/c1 udp ipv4", 10L, "/kubepods/pod-a/c1 tcp ipv6", 2L), queries);
            Map<String, Long> responses = new HashMap<>();
            for (LongPointData d : metric(all, KernelMetrics.DNS_RESPONSES).getLongSumData().getPoints()) {
                responses.put(d.getAttributes().get(Attr.DNS_RCODE) + " " + d.getAttributes().get(Attr.NETWORK_TRANSPORT),
                        d.getValue());
            }
            assertEquals(Map.of("NOERROR udp", 6L, "NXDOMAIN udp", 3L, "SERVFAIL tcp", 2L), responses);
            LongPointData timeouts = metric(all, KernelMetrics.DNS_TIMEOUTS).getLongSumData().getPoints().iterator()
                    .next();
            assertEquals(1L, timeouts.getValue());
            assertEquals(null, timeouts.getAttributes().get(Attr.DNS_RCODE), "a timeout has no response code");
            MetricData m = metric(all, KernelMetrics.DNS_DURATION);
            assertEquals("s", m.getUnit());
            HistogramPointData h = m.getHistogramData().getPoints().iterator().next();
            assertEquals("/kubepods/pod-a/c1", h.getAttributes().get(Attr.CGROUP));
            assertEquals(11, h.getCount());
            assertEquals(0.024, h.getSum(), 1e-12);
            assertEquals(10, h.getCounts().get(LayerHistogram.slotOf(400_000)));
        }
    }

    @Test
    void cumulativeStartTimesStayPutAcrossCollections() {
        labels.paths.put(7L, "/a");
        kernel.hists.add(hist(7, Direction.RX, 3, 10_000));
        try (SdkMeterProvider p = provider(100)) {
            HistogramPointData first = metric(reader.collectAllMetrics(), KernelMetrics.LAYER_DURATION)
                    .getHistogramData().getPoints().iterator().next();
            now.addAndGet(5_000_000_000L);
            kernel.hists.set(0, hist(7, Direction.RX, 3, 10_000, 20_000));
            HistogramPointData second = metric(reader.collectAllMetrics(), KernelMetrics.LAYER_DURATION)
                    .getHistogramData().getPoints().iterator().next();
            assertEquals(first.getStartEpochNanos(), second.getStartEpochNanos());
            assertEquals(first.getEpochNanos() + 5_000_000_000L, second.getEpochNanos());
            assertEquals(2, second.getCount());
        }
    }

    @Test
    void udpDatagramsAndBytesPerDirectionAndIpVersionAndTheirLayersApartFromTcp() {
        labels.paths.put(9L, "/svc");
        kernel.counters.put(new Counter(9, CounterKind.UDP_DATAGRAMS, (0 << 8) | 4), 10L);
        kernel.counters.put(new Counter(9, CounterKind.UDP_BYTES, (0 << 8) | 4), 1000L);
        kernel.counters.put(new Counter(9, CounterKind.UDP_DATAGRAMS, (1 << 8) | 6), 3L);
        kernel.counters.put(new Counter(9, CounterKind.UDP_BYTES, (1 << 8) | 6), 300L);
        kernel.hists.add(hist(9, Direction.RX, 2, 4_000));
        kernel.udpHists.add(hist(9, Direction.RX, 2, 9_000, 10_000));
        try (SdkMeterProvider p = provider(100)) {
            Collection<MetricData> all = reader.collectAllMetrics();
            Map<String, Long> datagrams = new HashMap<>();
            metric(all, KernelMetrics.UDP_DATAGRAMS).getLongSumData().getPoints().forEach(d -> datagrams.put(
                    d.getAttributes().get(Attr.NETWORK_IO_DIRECTION) + "/" + d.getAttributes().get(Attr.NETWORK_TYPE),
                    d.getValue()));
            assertEquals(Map.of("receive/ipv4", 10L, "transmit/ipv6", 3L), datagrams);
            MetricData bytes = metric(all, KernelMetrics.UDP_BYTES);
            assertEquals("By", bytes.getUnit());
            assertEquals(1300L, bytes.getLongSumData().getPoints().stream().mapToLong(LongPointData::getValue).sum());
            Map<String, Long> layers = new HashMap<>();
            metric(all, KernelMetrics.LAYER_DURATION).getHistogramData().getPoints().forEach(h -> layers.put(
                    h.getAttributes().get(Attr.NETWORK_TRANSPORT) + "/" + h.getAttributes().get(Attr.LAYER), h.getCount()));
            assertEquals(Map.of("tcp/tcp", 1L, "udp/udp", 2L), layers, "a datagram's transport layer is udp");
        }
    }

    @Test
    void countersGetTheirDetailAsAttribute() {
        labels.paths.put(9L, "/svc");
        kernel.counters.put(new Counter(9, CounterKind.DROP, 2), 4L);
        kernel.counters.put(new Counter(0, CounterKind.DROP, 5), 1L);
        kernel.counters.put(new Counter(9, CounterKind.RETRANS, 1), 3L);
        kernel.counters.put(new Counter(9, CounterKind.RETRANS, 2), 2L);
        kernel.counters.put(new Counter(9, CounterKind.RESET, 1), 6L);
        kernel.counters.put(new Counter(9, CounterKind.CONN_OPEN, 1), 8L);
        kernel.counters.put(new Counter(9, CounterKind.RCVQ_FULL, 6), 1L);
        kernel.counters.put(new Counter(9, CounterKind.CONN_OPEN, 2), 12L);
        kernel.counters.put(new Counter(9, CounterKind.CONN_CLOSE, 2), 7L);
        kernel.counters.put(new Counter(9, CounterKind.DROP_BENIGN, 5), 3L);
        try (SdkMeterProvider p = provider(100)) {
            Collection<MetricData> all = reader.collectAllMetrics();
            Map<String, Long> drops = new HashMap<>();
            for (LongPointData d : metric(all, KernelMetrics.DROPS).getLongSumData().getPoints()) {
                drops.put(d.getAttributes().get(Attr.DROP_REASON) + "@" + d.getAttributes().get(Attr.CGROUP), d.getValue());
            }
            assertEquals(Map.of("NO_SOCKET@/svc", 4L, "TCP_CSUM@null", 1L), drops);
            MetricData retrans = metric(all, KernelMetrics.RETRANSMITS);
            assertTrue(retrans.getLongSumData().isMonotonic());
            Map<String, Long> kinds = new HashMap<>();
            retrans.getLongSumData().getPoints().forEach(d -> kinds.put(d.getAttributes().get(Attr.RETRANSMIT_KIND), d.getValue()));
            assertEquals(Map.of("fast", 3L, "timeout", 2L), kinds);
            LongPointData reset = metric(all, KernelMetrics.RESETS).getLongSumData().getPoints().iterator().next();
            assertEquals("received", reset.getAttributes().get(Attr.RESET_DIRECTION));
            Map<String, Long> opened = new HashMap<>();
            metric(all, KernelMetrics.OPENED).getLongSumData().getPoints()
                    .forEach(d -> opened.put(d.getAttributes().get(Attr.ROLE), d.getValue()));
            assertEquals(Map.of("client", 8L, "server", 12L), opened);
            LongPointData benign = metric(all, KernelMetrics.BENIGN_DROPS).getLongSumData().getPoints().iterator()
                    .next();
            assertEquals("TCP_CSUM", benign.getAttributes().get(Attr.DROP_REASON), "benign drops apart from losses");
            assertEquals(3, benign.getValue());
            assertEquals("tcp", metric(all, KernelMetrics.RCVQ_FULL).getLongSumData().getPoints().iterator().next()
                    .getAttributes().get(Attr.NETWORK_TRANSPORT));
            MetricData open = metric(all, KernelMetrics.OPEN);
            assertFalse(open.getLongSumData().isMonotonic(), "open connections go up and down");
            Map<String, Long> now = new HashMap<>();
            open.getLongSumData().getPoints().forEach(d -> now.put(d.getAttributes().get(Attr.ROLE), d.getValue()));
            assertEquals(Map.of("client", 8L, "server", 5L), now, "open = opened - closed, per role");
            assertTrue(all.stream().noneMatch(m -> m.getName().equals(KernelMetrics.BAD_CHECKSUMS)),
                    "metrics without points are left out");
        }
    }

    @Test
    void seriesBeyondTheLimitFoldIntoOneOverflowSeries() {
        for (long cg = 1; cg <= 10; cg++) {
            labels.paths.put(cg, "/cg" + cg);
            kernel.hists.add(hist(cg, Direction.RX, 0, 1000));
        }
        try (SdkMeterProvider p = provider(4)) {
            Collection<HistogramPointData> points = metric(reader.collectAllMetrics(), KernelMetrics.LAYER_DURATION)
                    .getHistogramData().getPoints();
            assertEquals(4, points.size(), "3 series and the overflow series");
            HistogramPointData overflow = points.stream().filter(x -> Boolean.TRUE.equals(x.getAttributes()
                    .get(Attr.OVERFLOW))).findFirst().orElseThrow();
            assertEquals(7, overflow.getCount(), "nothing lost: the other 7 cgroups are counted in it");
            assertEquals(Attributes.of(Attr.OVERFLOW, true), overflow.getAttributes());
        }
    }

    @Test
    void aGoneCgroupKeepsItsLabelsForTheGraceThenItsEntriesAreDeleted() {
        labels.paths.put(7L, "/pod-a");
        kernel.hists.add(hist(7, Direction.RX, 0, 1000));
        try (SdkMeterProvider p = provider(3)) {
            reader.collectAllMetrics();
            labels.paths.remove(7L); // the cgroup was removed
            now.addAndGet(30_000_000_000L);
            HistogramPointData still = metric(reader.collectAllMetrics(), KernelMetrics.LAYER_DURATION)
                    .getHistogramData().getPoints().iterator().next();
            assertEquals("/pod-a", still.getAttributes().get(Attr.CGROUP), "last known labels during the grace");
            assertTrue(kernel.forgotten.isEmpty());
            now.addAndGet(59_000_000_000L);
            reader.collectAllMetrics();
            assertTrue(kernel.forgotten.isEmpty(), "59 s after it went: still in the grace");
            now.addAndGet(2_000_000_000L);
            reader.collectAllMetrics();
            assertEquals(Set.of(7L), kernel.forgotten, "its kernel entries are deleted after the grace");
            assertTrue(reader.collectAllMetrics().stream().noneMatch(m -> m.getName().equals(KernelMetrics.LAYER_DURATION)));
            // Its series slot is free again: two new cgroups fit under a limit of 3 (2 + overflow).
            labels.paths.put(8L, "/pod-b");
            labels.paths.put(9L, "/pod-c");
            kernel.hists.add(hist(8, Direction.RX, 0, 1000));
            kernel.hists.add(hist(9, Direction.RX, 0, 1000));
            assertTrue(metric(reader.collectAllMetrics(), KernelMetrics.LAYER_DURATION).getHistogramData().getPoints()
                    .stream().noneMatch(x -> x.getAttributes().get(Attr.OVERFLOW) != null));
        }
    }

    @Test
    void icmpCountersAreLabelledByTheSocketsCgroupOrTheNamespacesCgroup() {
        labels.paths.put(7L, "/kubepods/pod-a/c1");
        labels.paths.put(9L, "/kubepods/pod-b/c1");
        labels.netns.put(4026532001L, 9L);
        labels.netns.put(4026531840L, 0L); // the host's
        kernel.icmp.put(new IcmpCounter(7, 4026532000L, IcmpKind.ECHO_REQUEST_SENT, 4, 0, 0), 5L);
        kernel.icmp.put(new IcmpCounter(7, 4026532000L, IcmpKind.ECHO_REPLY_RECEIVED, 6, 0, 0), 4L);
        kernel.icmp.put(new IcmpCounter(0, 4026532001L, IcmpKind.ECHO_REQUEST_RECEIVED, 4, 0, 0), 5L);
        kernel.icmp.put(new IcmpCounter(0, 4026532001L, IcmpKind.ERROR_SENT, 4, 3, 3), 2L);
        kernel.icmp.put(new IcmpCounter(0, 4026531840L, IcmpKind.ERROR_RECEIVED, 6, 1, 4), 1L);
        kernel.icmp.put(new IcmpCounter(0, 4026532999L, IcmpKind.ECHO_REQUEST_RECEIVED, 4, 0, 0), 8L); // gone
        try (SdkMeterProvider p = provider(100)) {
            Collection<MetricData> all = reader.collectAllMetrics();
            List<LongPointData> echo = List.copyOf(metric(all, KernelMetrics.ICMP_ECHO).getLongSumData().getPoints());
            assertEquals(3, echo.size(), "a namespace that is gone is not reported (nor moved to the node): " + echo);
            assertEquals(5L, value(echo, "/kubepods/pod-a/c1", "echo_request", "transmit"));
            assertEquals(4L, value(echo, "/kubepods/pod-a/c1", "echo_reply", "receive"));
            assertEquals(5L, value(echo, "/kubepods/pod-b/c1", "echo_request", "receive"), "by the namespace's cgroup");
            List<LongPointData> errors = List.copyOf(metric(all, KernelMetrics.ICMP_ERRORS).getLongSumData().getPoints());
            assertEquals(2, errors.size());
            LongPointData unreachable = errors.stream().filter(x -> "3/3".equals(x.getAttributes().get(Attr.ICMP_TYPE)))
                    .findFirst().orElseThrow();
            assertEquals(2L, unreachable.getValue());
            assertEquals("/kubepods/pod-b/c1", unreachable.getAttributes().get(Attr.CGROUP));
            assertEquals("transmit", unreachable.getAttributes().get(Attr.NETWORK_IO_DIRECTION));
            LongPointData host = errors.stream().filter(x -> "1/4".equals(x.getAttributes().get(Attr.ICMP_TYPE)))
                    .findFirst().orElseThrow();
            assertEquals("ipv6", host.getAttributes().get(Attr.NETWORK_TYPE));
            assertNull(host.getAttributes().get(Attr.CGROUP), "the host's namespace is no pod's");
        }
    }

    static NetfilterHistogram nf(long cgroup, long netns, boolean v6, NetfilterHook hook, long... valuesNs) {
        long[] slots = new long[LayerHistogram.SLOTS];
        long sum = 0;
        for (long v : valuesNs) {
            slots[LayerHistogram.slotOf(v)]++;
            sum += v;
        }
        return new NetfilterHistogram(cgroup, netns, v6, hook, valuesNs.length, sum, slots);
    }

    @Test
    void netfilterHookTimesAreLabelledByTheSocketsCgroupOrTheNamespacesPod() {
        labels.paths.put(7L, "/kubepods/pod-a/c1");
        labels.paths.put(9L, "/kubepods/pod-b/c1");
        labels.netns.put(4026532001L, 9L);
        labels.netns.put(4026531840L, 0L); // the host's
        kernel.nfHists.add(nf(7, 4026531840L, false, NetfilterHook.LOCAL_OUT, 300, 500)); // a socket's, on the host
        kernel.nfHists.add(nf(0, 4026532001L, false, NetfilterHook.LOCAL_IN, 12_000)); // pod B's namespace
        kernel.nfHists.add(nf(0, 4026532001L, true, NetfilterHook.LOCAL_IN, 200)); // same, IPv6
        kernel.nfHists.add(nf(0, 4026531840L, false, NetfilterHook.FORWARD, 900)); // the node's
        kernel.nfHists.add(nf(0, 4026532999L, false, NetfilterHook.PRE_ROUTING, 100)); // a namespace gone
        try (SdkMeterProvider p = provider(100)) {
            List<HistogramPointData> points = List.copyOf(metric(reader.collectAllMetrics(),
                    KernelMetrics.NETFILTER_DURATION).getHistogramData().getPoints());
            assertEquals(4, points.size(), "a namespace no process is in is left out: " + points);
            HistogramPointData out = nfPoint(points, "/kubepods/pod-a/c1", "output", "ipv4");
            assertEquals(2, out.getCount());
            assertEquals(800e-9, out.getSum(), 1e-12);
            assertEquals(1, nfPoint(points, "/kubepods/pod-b/c1", "input", "ipv4").getCount(), "by the namespace's pod");
            assertEquals(1, nfPoint(points, "/kubepods/pod-b/c1", "input", "ipv6").getCount());
            assertEquals(1, nfPoint(points, null, "forward", "ipv4").getCount(), "the host's namespace is the node");
        }
    }

    private static HistogramPointData nfPoint(List<HistogramPointData> points, String cgroup, String hook, String type) {
        return points.stream().filter(x -> Objects.equals(cgroup, x.getAttributes().get(Attr.CGROUP))
                        && hook.equals(x.getAttributes().get(Attr.NETFILTER_HOOK))
                        && type.equals(x.getAttributes().get(Attr.NETWORK_TYPE)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + cgroup + " " + hook + " " + type));
    }

    private static long value(List<LongPointData> points, String cgroup, String message, String direction) {
        return points.stream().filter(x -> cgroup.equals(x.getAttributes().get(Attr.CGROUP))
                        && message.equals(x.getAttributes().get(Attr.ICMP_MESSAGE))
                        && direction.equals(x.getAttributes().get(Attr.NETWORK_IO_DIRECTION)))
                .mapToLong(LongPointData::getValue).sum();
    }
}
