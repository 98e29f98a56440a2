package io.netwatcher.export;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.Transport;
import io.netwatcher.event.Role;
import io.netwatcher.event.Who;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NetnsCgroups;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.CounterKind;
import io.netwatcher.kernel.DnsCounter;
import io.netwatcher.kernel.DnsKind;
import io.netwatcher.kernel.IcmpCounter;
import io.netwatcher.names.Dns;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.IpProtocol;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.HistogramData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.data.SumData;
import io.opentelemetry.sdk.metrics.export.MetricProducer;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * OpenTelemetry metrics straight from the kernel's aggregates, at collection time: the per-cgroup
 * log2 layer and connect-latency histograms become cumulative explicit-bucket histograms (bucket i
 * ends at 2^(i+1) ns),
 * the per-cgroup counters become cumulative sums, and connections open now (opened minus closed,
 * which the kernel counts once each per connection) an up-down sum.
 * Nothing is recorded per packet in Java. Cgroups are labelled by who they are (by the cgroup
 * only: there is no event), cgroups out of the namespace scope are left out; a cgroup that
 * disappears keeps its last labels for the grace period, then its series end and its kernel
 * entries are deleted. Built with {@link #builder()}.
 */
public final class KernelMetrics implements MetricProducer {
    static final String LAYER_DURATION = "netwatcher.packet.layer.duration";
    static final String DROPS = "netwatcher.packet.drops";
    static final String BENIGN_DROPS = "netwatcher.packet.benign_drops";
    static final String RETRANSMITS = "netwatcher.tcp.retransmits";
    static final String RESETS = "netwatcher.tcp.resets";
    static final String BAD_CHECKSUMS = "netwatcher.tcp.bad_checksums";
    static final String RCVQ_FULL = "netwatcher.socket.receive_queue_full";
    static final String BUF_LIMIT = "netwatcher.socket.buffer_limit";
    static final String ICMP_SENT = "netwatcher.icmp.errors_sent";
    static final String ICMP_ECHO = "netwatcher.icmp.echo";
    static final String ICMP_ERRORS = "netwatcher.icmp.errors";
    static final String OPENED = "netwatcher.tcp.connections.opened";
    static final String CLOSED = "netwatcher.tcp.connections.closed";
    static final String OPEN = "netwatcher.tcp.connections.open";
    static final String CONNECT_DURATION = "netwatcher.tcp.connect.duration";
    static final String HANDSHAKE_FAILURES = "netwatcher.tcp.handshake.failures";
    static final String DNS_QUERIES = "netwatcher.dns.queries";
    static final String DNS_RESPONSES = "netwatcher.dns.responses";
    static final String DNS_TIMEOUTS = "netwatcher.dns.timeouts";
    static final String DNS_UNMATCHED = "netwatcher.dns.unmatched_responses";
    static final String DNS_DURATION = "netwatcher.dns.duration";
    static final String NETFILTER_DURATION = "netwatcher.netfilter.hook.duration";
    static final String UDP_DATAGRAMS = "netwatcher.udp.datagrams";
    static final String UDP_BYTES = "netwatcher.udp.bytes";

    /** Bucket boundaries in seconds: the upper ends of log2 slots 0..30 (slot 31 is +Inf). */
    static final List<Double> BOUNDARIES;

    static {
        List<Double> b = new ArrayList<>();
        for (int i = 0; i < LayerHistogram.SLOTS - 1; i++) {
            b.add(LayerHistogram.upperBoundNs(i) / 1e9);
        }
        BOUNDARIES = List.copyOf(b);
    }

    private final KernelSource source;
    private final IdentityResolver identity;
    private final WhoAttributes attributes;
    private final DropReasons reasons;
    private final SeriesLimit limit;
    private final InstrumentationScopeInfo scope;
    private final LongSupplier epochNanos;
    private final long graceNs;
    private final Map<SeriesKey, Long> seriesStart = new HashMap<>();
    private final Map<Long, Attributes> lastKnown = new HashMap<>();
    private final Map<Long, Long> goneSince = new HashMap<>();

    private record SeriesKey(String metric, Attributes attrs) {
    }

    private KernelMetrics(Builder b) {
        this.source = b.source;
        this.identity = b.identity;
        this.attributes = b.attributes;
        this.reasons = b.reasons;
        this.limit = new SeriesLimit(b.maxSeries);
        this.scope = InstrumentationScopeInfo.builder("io.netwatcher.kernel").setVersion(b.version).build();
        this.epochNanos = b.epochNanos;
        this.graceNs = b.graceNs;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What the kernel metrics read, how they label it, and their limits; every setting is required but the defaults. */
    public static final class Builder {
        private KernelSource source;
        private IdentityResolver identity;
        private WhoAttributes attributes = new WhoAttributes();
        private DropReasons reasons;
        private int maxSeries = 2000;
        private String version = "dev";
        private LongSupplier epochNanos;
        private long graceNs = 300_000_000_000L;

        private Builder() {}

        /** The kernel's aggregates. */
        public Builder source(KernelSource source) {
            this.source = source;
            return this;
        }

        /** Who a cgroup is, and whether it is in the namespace scope. */
        public Builder identity(IdentityResolver identity) {
            this.identity = identity;
            return this;
        }

        /** Renders who as attributes (shared with the event metrics and traces; default: its own). */
        public Builder attributes(WhoAttributes attributes) {
            this.attributes = attributes;
            return this;
        }

        /** The names of drop reasons. */
        public Builder reasons(DropReasons reasons) {
            this.reasons = reasons;
            return this;
        }

        /** Series per metric before the overflow series takes the rest (default 2000). */
        public Builder maxSeries(int maxSeries) {
            this.maxSeries = maxSeries;
            return this;
        }

        /** The instrumentation scope's version (the agent's). */
        public Builder version(String version) {
            this.version = version;
            return this;
        }

        /** Now, in epoch nanoseconds (the points' timestamps). */
        public Builder clock(LongSupplier epochNanos) {
            this.epochNanos = epochNanos;
            return this;
        }

        /** How long a cgroup that went away keeps its labels (default 300 s). */
        public Builder goneGraceNs(long graceNs) {
            this.graceNs = graceNs;
            return this;
        }

        public KernelMetrics build() {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(identity, "identity");
            Objects.requireNonNull(attributes, "attributes");
            Objects.requireNonNull(reasons, "reasons");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(epochNanos, "clock");
            if (maxSeries < 2) {
                throw new IllegalArgumentException("maxSeries must be >= 2");
            }
            if (graceNs < 0) {
                throw new IllegalArgumentException("goneGraceNs must be >= 0");
            }
            return new KernelMetrics(this);
        }
    }

    @Override
    public synchronized Collection<MetricData> produce(Resource resource) {
        long now = epochNanos.getAsLong();
        Set<Long> cgroups = new HashSet<>();
        List<MetricData> out = new ArrayList<>();
        out.add(histograms(resource, now, cgroups));
        out.add(latency(resource, now, cgroups, CONNECT_DURATION, "Connect latency: a client socket's time from"
                + " SYN_SENT to ESTABLISHED, from the in-kernel histograms (every connect)", source.connectHistograms()));
        Map<Counter, Long> counts = source.counters();
        out.addAll(counters(resource, now, cgroups, counts));
        out.add(open(resource, now, cgroups, counts));
        out.addAll(icmp(resource, now, cgroups, source.icmpCounters()));
        out.addAll(dns(resource, now, cgroups, source.dnsCounters()));
        out.add(latency(resource, now, cgroups, DNS_DURATION, "DNS latency: a client's query sent to its response"
                + " received, from the in-kernel histograms (every answered query)", source.dnsHistograms()));
        out.add(netfilterTime(resource, now, cgroups));
        sweep(cgroups, now);
        out.removeIf(MetricData::isEmpty);
        return out;
    }

    /**
     * The labels of a cgroup now, or the last known ones for a cgroup that went away; null for a
     * cgroup out of the namespace scope.
     */
    private Attributes who(long cgroupId, long now) {
        Who w = identity.ofCgroup(cgroupId);
        if (w == null) {
            return null;
        }
        Attributes a = attributes.of(w);
        if (cgroupId == 0) {
            return a;
        }
        if (!a.isEmpty()) {
            lastKnown.put(cgroupId, a);
            goneSince.remove(cgroupId);
            return a;
        }
        Attributes last = lastKnown.get(cgroupId);
        if (last != null) {
            goneSince.putIfAbsent(cgroupId, now);
            return last;
        }
        return a;
    }

    private void sweep(Set<Long> seen, long now) {
        for (Map.Entry<Long, Long> e : new ArrayList<>(goneSince.entrySet())) {
            if (!seen.contains(e.getKey()) || now - e.getValue() > graceNs) {
                Attributes gone = lastKnown.remove(e.getKey());
                goneSince.remove(e.getKey());
                if (gone != null) {
                    seriesStart.keySet().removeIf(k -> contains(k.attrs(), gone));
                    limit.releaseIf(a -> contains(a, gone));
                }
                source.forget(e.getKey());
            }
        }
    }

    private static boolean contains(Attributes series, Attributes who) {
        return series.asMap().entrySet().containsAll(who.asMap().entrySet());
    }

    private long start(String metric, Attributes attrs, long now) {
        return seriesStart.computeIfAbsent(new SeriesKey(metric, attrs), k -> now);
    }

    private MetricData histograms(Resource resource, long now, Set<Long> cgroups) {
        Map<Attributes, long[]> buckets = new LinkedHashMap<>();
        Map<Attributes, double[]> sums = new HashMap<>();
        for (Transport t : Transport.values()) {
            for (LayerHistogram h : t == Transport.UDP ? source.udpHistograms() : source.histograms()) {
                cgroups.add(h.cgroupId());
                Attributes who = who(h.cgroupId(), now);
                if (who == null) {
                    continue;
                }
                Attributes a = limit.admit(LAYER_DURATION, who.toBuilder()
                        .put(Attr.NETWORK_IO_DIRECTION, h.direction().otelName())
                        .put(Attr.NETWORK_TRANSPORT, t.label())
                        .put(Attr.LAYER, h.layer().label(t)).build());
                long[] c = buckets.computeIfAbsent(a, k -> new long[LayerHistogram.SLOTS + 1]);
                for (int i = 0; i < LayerHistogram.SLOTS; i++) {
                    c[i] += h.slots()[i];
                }
                c[LayerHistogram.SLOTS] += h.count();
                sums.computeIfAbsent(a, k -> new double[1])[0] += h.sumNs() / 1e9;
            }
        }
        List<HistogramPointData> points = new ArrayList<>();
        for (Map.Entry<Attributes, long[]> e : buckets.entrySet()) {
            long[] c = e.getValue();
            List<Long> counts = new ArrayList<>(LayerHistogram.SLOTS);
            long total = 0;
            for (int i = 0; i < LayerHistogram.SLOTS; i++) {
                counts.add(c[i]);
                total += c[i];
            }
            points.add(HistogramPointData.create(start(LAYER_DURATION, e.getKey(), now), now, e.getKey(),
                    sums.get(e.getKey())[0], false, 0, false, 0, BOUNDARIES, counts));
            if (total == 0) {
                points.remove(points.size() - 1);
            }
        }
        return new Metric(resource, scope, LAYER_DURATION,
                "Time TCP segments and UDP datagrams spend in each kernel layer, from the in-kernel histograms (every"
                        + " timed packet)",
                "s", MetricDataType.HISTOGRAM, HistogramData.create(AggregationTemporality.CUMULATIVE, points));
    }

    /** A latency per cgroup from the in-kernel histograms of one map (connect or DNS). */
    private MetricData latency(Resource resource, long now, Set<Long> cgroups, String name, String description,
                               List<CgroupHistogram> histograms) {
        Map<Attributes, long[]> buckets = new LinkedHashMap<>();
        Map<Attributes, double[]> sums = new HashMap<>();
        for (CgroupHistogram h : histograms) {
            cgroups.add(h.cgroupId());
            Attributes who = who(h.cgroupId(), now);
            if (who == null || h.count() == 0) {
                continue;
            }
            Attributes a = limit.admit(name, who);
            long[] c = buckets.computeIfAbsent(a, k -> new long[LayerHistogram.SLOTS]);
            for (int i = 0; i < LayerHistogram.SLOTS; i++) {
                c[i] += h.slots()[i];
            }
            sums.computeIfAbsent(a, k -> new double[1])[0] += h.sumNs() / 1e9;
        }
        List<HistogramPointData> points = new ArrayList<>();
        for (Map.Entry<Attributes, long[]> e : buckets.entrySet()) {
            List<Long> counts = new ArrayList<>(LayerHistogram.SLOTS);
            for (long c : e.getValue()) {
                counts.add(c);
            }
            points.add(HistogramPointData.create(start(name, e.getKey(), now), now, e.getKey(),
                    sums.get(e.getKey())[0], false, 0, false, 0, BOUNDARIES, counts));
        }
        return new Metric(resource, scope, name, description, "s", MetricDataType.HISTOGRAM,
                HistogramData.create(AggregationTemporality.CUMULATIVE, points));
    }

    private record CounterSpec(String name, String description, String unit) {
    }

    private List<MetricData> counters(Resource resource, long now, Set<Long> cgroups,
                                      Map<Counter, Long> counts) {
        Map<String, CounterSpec> specs = new LinkedHashMap<>();
        specs.put(DROPS, new CounterSpec(DROPS, "Packets lost: dropped by the kernel, by drop reason (benign frees"
                + " are in netwatcher.packet.benign_drops)", "{packet}"));
        specs.put(BENIGN_DROPS, new CounterSpec(BENIGN_DROPS, "Packets the kernel reports dropped that are not"
                + " losses (ping replies, purged buffers, window probes, duplicates), by drop reason", "{packet}"));
        specs.put(RETRANSMITS, new CounterSpec(RETRANSMITS, "TCP segments retransmitted, by kind", "{segment}"));
        specs.put(RESETS, new CounterSpec(RESETS, "TCP resets sent and received", "{reset}"));
        specs.put(BAD_CHECKSUMS, new CounterSpec(BAD_CHECKSUMS, "TCP segments with a bad checksum", "{segment}"));
        specs.put(RCVQ_FULL, new CounterSpec(RCVQ_FULL, "Segments dropped because a socket receive queue was full",
                "{event}"));
        specs.put(BUF_LIMIT, new CounterSpec(BUF_LIMIT, "Socket memory limit exceeded", "{event}"));
        specs.put(ICMP_SENT, new CounterSpec(ICMP_SENT, "ICMP errors sent", "{message}"));
        specs.put(OPENED, new CounterSpec(OPENED, "TCP connections established", "{connection}"));
        specs.put(CLOSED, new CounterSpec(CLOSED, "TCP connections closed", "{connection}"));
        specs.put(HANDSHAKE_FAILURES, new CounterSpec(HANDSHAKE_FAILURES, "Client TCP handshakes that failed"
                + " (SYN_SENT -> CLOSE), by cause: refused, timed_out, other", "{handshake}"));
        specs.put(UDP_DATAGRAMS, new CounterSpec(UDP_DATAGRAMS, "UDP datagrams received (read by the application)"
                + " and sent (handed to a device)", "{datagram}"));
        specs.put(UDP_BYTES, new CounterSpec(UDP_BYTES, "UDP payload bytes received (read by the application) and"
                + " sent (handed to a device)", "By"));
        Map<String, Map<Attributes, Long>> values = new LinkedHashMap<>();
        specs.keySet().forEach(k -> values.put(k, new LinkedHashMap<>()));
        for (Map.Entry<Counter, Long> e : counts.entrySet()) {
            Counter k = e.getKey();
            cgroups.add(k.cgroupId());
            String metric;
            AttributeKey<String> key;
            String value;
            String direction = null;
            switch (k.kind()) {
                case DROP, DROP_BENIGN -> {
                    metric = k.kind() == CounterKind.DROP ? DROPS : BENIGN_DROPS;
                    key = Attr.DROP_REASON;
                    value = reasons.name(k.detail());
                }
                case RETRANS -> {
                    metric = RETRANSMITS;
                    key = Attr.RETRANSMIT_KIND;
                    value = k.retransmitKind();
                }
                case RESET -> {
                    metric = RESETS;
                    key = Attr.RESET_DIRECTION;
                    value = k.resetDirection().label();
                }
                case BAD_CSUM -> {
                    metric = BAD_CHECKSUMS;
                    key = null;
                    value = null;
                }
                case RCVQ_FULL, BUF_LIMIT -> {
                    metric = k.kind() == CounterKind.RCVQ_FULL ? RCVQ_FULL : BUF_LIMIT;
                    key = Attr.NETWORK_TRANSPORT;
                    value = k.detail() == IpProtocol.TCP.value() ? "tcp" : k.detail() == IpProtocol.UDP.value() ? "udp"
                            : "other";
                }
                case ICMP_SENT -> {
                    metric = ICMP_SENT;
                    key = Attr.ICMP_TYPE;
                    value = k.icmpType();
                }
                case CONN_OPEN, CONN_CLOSE -> {
                    metric = k.kind() == CounterKind.CONN_OPEN ? OPENED : CLOSED;
                    key = Attr.ROLE;
                    value = k.role().label();
                }
                case HANDSHAKE_FAIL -> {
                    metric = HANDSHAKE_FAILURES;
                    key = Attr.HANDSHAKE_FAILURE;
                    value = k.handshakeFailure().label();
                }
                case UDP_DATAGRAMS, UDP_BYTES -> {
                    metric = k.kind() == CounterKind.UDP_DATAGRAMS ? UDP_DATAGRAMS : UDP_BYTES;
                    key = Attr.NETWORK_TYPE;
                    value = k.udpIpVersion() == 6 ? "ipv6" : "ipv4";
                    direction = k.udpDirection().otelName();
                }
                default -> {
                    continue;
                }
            }
            Attributes who = who(k.cgroupId(), now);
            if (who == null) {
                continue;
            }
            AttributesBuilder b = who.toBuilder();
            if (key != null) {
                b.put(key, value);
            }
            if (direction != null) {
                b.put(Attr.NETWORK_IO_DIRECTION, direction);
            }
            Attributes a = limit.admit(metric, b.build());
            values.get(metric).merge(a, e.getValue(), Long::sum);
        }
        List<MetricData> out = new ArrayList<>();
        for (CounterSpec s : specs.values()) {
            out.add(sum(resource, now, s.name(), s.description(), s.unit(), values.get(s.name())));
        }
        return out;
    }

    /**
     * Echo messages and ICMP errors per cgroup: a socket's, else (what the kernel itself received or
     * answered) that of the network namespace it was seen in (the host's: no pod).
     */
    private List<MetricData> icmp(Resource resource, long now, Set<Long> cgroups, Map<IcmpCounter, Long> counts) {
        Map<Attributes, Long> echo = new LinkedHashMap<>();
        Map<Attributes, Long> errors = new LinkedHashMap<>();
        for (Map.Entry<IcmpCounter, Long> e : counts.entrySet()) {
            IcmpCounter k = e.getKey();
            long cgroupId = k.cgroupId() != 0 ? k.cgroupId() : identity.cgroupOfNetns(k.netns());
            if (cgroupId == NetnsCgroups.UNKNOWN) {
                continue; // a namespace that is gone: its pod's series ended with its cgroup's
            }
            cgroups.add(cgroupId);
            Attributes who = who(cgroupId, now);
            if (who == null) {
                continue;
            }
            AttributesBuilder b = who.toBuilder()
                    .put(Attr.NETWORK_IO_DIRECTION, k.kind().direction().equals("sent") ? "transmit" : "receive")
                    .put(Attr.NETWORK_TYPE, k.ipVersion() == 6 ? "ipv6" : "ipv4");
            if (k.kind().isError()) {
                errors.merge(limit.admit(ICMP_ERRORS, b.put(Attr.ICMP_TYPE, k.type() + "/" + k.code()).build()),
                        e.getValue(), Long::sum);
            } else {
                echo.merge(limit.admit(ICMP_ECHO, b.put(Attr.ICMP_MESSAGE, k.kind().message()).build()),
                        e.getValue(), Long::sum);
            }
        }
        return List.of(sum(resource, now, ICMP_ECHO, "ICMP and ICMPv6 echo requests and replies: sent (requests from"
                        + " a local socket, the kernel's replies) and received (requests arriving, replies read by a"
                        + " local socket)", "{message}", echo),
                sum(resource, now, ICMP_ERRORS, "ICMP and ICMPv6 error messages sent and received, by type/code",
                        "{message}", errors));
    }

    /** DNS queries of client sockets per cgroup, transport and family; responses also by response code. */
    private List<MetricData> dns(Resource resource, long now, Set<Long> cgroups, Map<DnsCounter, Long> counts) {
        Map<DnsKind, Map<Attributes, Long>> byKind = new EnumMap<>(DnsKind.class);
        Map<DnsKind, String> names = Map.of(DnsKind.QUERY, DNS_QUERIES, DnsKind.RESPONSE, DNS_RESPONSES,
                DnsKind.TIMEOUT, DNS_TIMEOUTS, DnsKind.UNMATCHED, DNS_UNMATCHED);
        for (DnsKind k : DnsKind.values()) {
            byKind.put(k, new LinkedHashMap<>());
        }
        for (Map.Entry<DnsCounter, Long> e : counts.entrySet()) {
            DnsCounter k = e.getKey();
            cgroups.add(k.cgroupId());
            Attributes who = who(k.cgroupId(), now);
            if (who == null) {
                continue;
            }
            AttributesBuilder b = who.toBuilder()
                    .put(Attr.NETWORK_TRANSPORT, IpProtocol.label(k.protocol()))
                    .put(Attr.NETWORK_TYPE, k.ipVersion() == 6 ? "ipv6" : "ipv4");
            if (k.kind() == DnsKind.RESPONSE) {
                b.put(Attr.DNS_RCODE, Dns.rcode(k.rcode()));
            }
            byKind.get(k.kind()).merge(limit.admit(names.get(k.kind()), b.build()), e.getValue(), Long::sum);
        }
        return List.of(sum(resource, now, DNS_QUERIES, "DNS queries sent by client sockets to port 53", "{query}",
                        byKind.get(DnsKind.QUERY)),
                sum(resource, now, DNS_RESPONSES, "Responses to DNS queries in flight, by response code", "{response}",
                        byKind.get(DnsKind.RESPONSE)),
                sum(resource, now, DNS_TIMEOUTS, "DNS queries with no response within the timeout (--dns-timeout)",
                        "{query}", byKind.get(DnsKind.TIMEOUT)),
                sum(resource, now, DNS_UNMATCHED, "DNS responses that matched no query in flight (after its timeout,"
                        + " or to a query sent before the agent started)", "{response}", byKind.get(DnsKind.UNMATCHED)));
    }

    /**
     * Time packets spent in each netfilter hook (its rules, conntrack, NAT), per family and cgroup: the
     * packet's socket's, else that of the network namespace the hook ran in (a pod's; the host's: no pod).
     */
    private MetricData netfilterTime(Resource resource, long now, Set<Long> cgroups) {
        Map<Attributes, long[]> buckets = new LinkedHashMap<>();
        Map<Attributes, double[]> sums = new HashMap<>();
        for (NetfilterHistogram h : source.netfilterHistograms()) {
            long cgroupId = h.cgroupId() != 0 ? h.cgroupId() : identity.cgroupOfNetns(h.netns());
            if (cgroupId == NetnsCgroups.UNKNOWN || h.count() == 0) {
                continue; // a namespace no process is in (gone, or not placed yet)
            }
            cgroups.add(cgroupId);
            Attributes who = who(cgroupId, now);
            if (who == null) {
                continue;
            }
            Attributes a = limit.admit(NETFILTER_DURATION, who.toBuilder()
                    .put(Attr.NETWORK_TYPE, h.ipv6() ? "ipv6" : "ipv4")
                    .put(Attr.NETFILTER_HOOK, h.hook().label()).build());
            long[] c = buckets.computeIfAbsent(a, k -> new long[LayerHistogram.SLOTS]);
            for (int i = 0; i < LayerHistogram.SLOTS; i++) {
                c[i] += h.slots()[i];
            }
            sums.computeIfAbsent(a, k -> new double[1])[0] += h.sumNs() / 1e9;
        }
        List<HistogramPointData> points = new ArrayList<>();
        for (Map.Entry<Attributes, long[]> e : buckets.entrySet()) {
            List<Long> counts = new ArrayList<>(LayerHistogram.SLOTS);
            for (long c : e.getValue()) {
                counts.add(c);
            }
            points.add(HistogramPointData.create(start(NETFILTER_DURATION, e.getKey(), now), now, e.getKey(),
                    sums.get(e.getKey())[0], false, 0, false, 0, BOUNDARIES, counts));
        }
        return new Metric(resource, scope, NETFILTER_DURATION, "Time packets spent in a netfilter hook, between its"
                + " first and last priority (iptables/nftables rules, conntrack, NAT), from the in-kernel histograms"
                + " (--netfilter-times)", "s", MetricDataType.HISTOGRAM,
                HistogramData.create(AggregationTemporality.CUMULATIVE, points));
    }

    private MetricData sum(Resource resource, long now, String name, String description, String unit,
                           Map<Attributes, Long> values) {
        List<LongPointData> points = new ArrayList<>();
        for (Map.Entry<Attributes, Long> v : values.entrySet()) {
            points.add(LongPointData.create(start(name, v.getKey(), now), now, v.getKey(), v.getValue()));
        }
        return new Metric(resource, scope, name, description, unit, MetricDataType.LONG_SUM,
                SumData.createLongSumData(true, AggregationTemporality.CUMULATIVE, points));
    }

    /** A (cgroup, role) pair of connection counts. */
    private record OpenKey(long cgroupId, Role role) {
    }

    /** Open now = opened - closed per cgroup and role (each connection is counted once each way). */
    private MetricData open(Resource resource, long now, Set<Long> cgroups, Map<Counter, Long> counts) {
        Map<OpenKey, Long> open = new LinkedHashMap<>();
        for (Map.Entry<Counter, Long> e : counts.entrySet()) {
            Counter k = e.getKey();
            if (k.kind() == CounterKind.CONN_OPEN || k.kind() == CounterKind.CONN_CLOSE) {
                open.merge(new OpenKey(k.cgroupId(), k.role()),
                        k.kind() == CounterKind.CONN_OPEN ? e.getValue() : -e.getValue(), Long::sum);
            }
        }
        Map<Attributes, Long> values = new LinkedHashMap<>();
        for (Map.Entry<OpenKey, Long> e : open.entrySet()) {
            cgroups.add(e.getKey().cgroupId());
            Attributes who = who(e.getKey().cgroupId(), now);
            if (who == null) {
                continue;
            }
            Attributes a = limit.admit(OPEN, who.toBuilder()
                    .put(Attr.ROLE, e.getKey().role().label()).build());
            values.merge(a, Math.max(0, e.getValue()), Long::sum);
        }
        List<LongPointData> points = new ArrayList<>();
        for (Map.Entry<Attributes, Long> v : values.entrySet()) {
            points.add(LongPointData.create(start(OPEN, v.getKey(), now), now, v.getKey(), v.getValue()));
        }
        return new Metric(resource, scope, OPEN, "TCP connections open now, by role", "{connection}",
                MetricDataType.LONG_SUM, SumData.createLongSumData(false, AggregationTemporality.CUMULATIVE, points));
    }
}
