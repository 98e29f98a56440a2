package io.netwatcher.export;

import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.CallCountEvent;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventListener;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics computed from events with the SDK's instruments: the TCP RTT of every established
 * connection at every connection update (one sample per connection and interval, so busy and
 * idle connections weigh the same), connection durations at close, and bytes per pod, direction
 * and peer from the per-interval byte deltas; latency anomalies per pod, direction and layer; kernel
 * function calls per pod and function (--count-calls).
 * Labelled with who each event belongs to.
 */
public final class EventMetrics implements EventListener {
    static final List<Double> RTT_BUCKETS = List.of(25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
            25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0, 2.5, 5.0);
    static final List<Double> DURATION_BUCKETS = List.of(1e-3, 10e-3, 100e-3, 1.0, 10.0, 60.0, 300.0, 900.0, 3600.0,
            14400.0, 86400.0);

    private final WhoAttributes attributes;
    private final DoubleHistogram rtt;
    private final DoubleHistogram duration;
    private final LongCounter bytes;
    private final LongCounter anomalies;
    private final LongCounter calls;

    public EventMetrics(Meter meter, WhoAttributes attributes) {
        this.attributes = attributes;
        this.rtt = meter.histogramBuilder("netwatcher.tcp.rtt").setUnit("s")
                .setDescription("Smoothed RTT of established TCP connections, sampled once per connection and interval")
                .setExplicitBucketBoundariesAdvice(RTT_BUCKETS).build();
        this.duration = meter.histogramBuilder("netwatcher.tcp.connection.duration").setUnit("s")
                .setDescription("Lifetime of TCP connections, from connect()/accept to close")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.bytes = meter.counterBuilder("netwatcher.tcp.bytes").setUnit("By")
                .setDescription("TCP payload bytes acknowledged (transmit) and received in order (receive)").build();
        this.anomalies = meter.counterBuilder("netwatcher.latency.anomalies").setUnit("{interval}")
                .setDescription("Intervals whose layer latency p99 left its usual band (anomaly events)").build();
        this.calls = meter.counterBuilder("netwatcher.kernel.calls").setUnit("{call}")
                .setDescription("Calls of the kernel functions named with --count-calls, by the processes of a pod"
                        + " (in softirq: of the interrupted task's)").build();
    }

    /** What a cached attribute set is for: who (as rendered), the peer where it is a label, the measurement. */
    private record Key(Who.Pod pod, String cgroupPath, Who.Peer peer, int what) {
    }

    private static final int RTT_V4 = 0;
    private static final int RTT_V6 = 1;
    private static final int DURATION_CLIENT = 2;
    private static final int DURATION_SERVER = 3;
    private static final int DURATION_UNKNOWN = 4;
    private static final int TX = 5;
    private static final int RX = 6;
    private static final int MAX_CACHED = 100_000;

    private final Map<Key, Attributes> cache = new HashMap<>();
    /** Attribute sets of call counts: who (as rendered) and the function. */
    private final Map<CallKey, Attributes> callCache = new HashMap<>();

    private record CallKey(Who.Pod pod, String cgroupPath, String function) {
    }

    private Attributes callAttrs(Who who, String function) {
        CallKey k = new CallKey(who.pod(), who.pod() == null ? who.cgroupPath() : null, function);
        Attributes a = callCache.get(k);
        if (a == null) {
            if (callCache.size() > MAX_CACHED) {
                callCache.clear();
            }
            a = attributes.of(who).toBuilder().put(Attr.FUNCTION, function).build();
            callCache.put(k, a);
        }
        return a;
    }

    private Attributes attrs(Who who, int what) {
        boolean peer = what != RTT_V4 && what != RTT_V6;
        Key k = new Key(who.pod(), who.pod() == null ? who.cgroupPath() : null, peer ? who.peer() : null, what);
        Attributes a = cache.get(k);
        if (a == null) {
            if (cache.size() > MAX_CACHED) {
                cache.clear();
            }
            a = build(who, what);
            cache.put(k, a);
        }
        return a;
    }

    private Attributes build(Who who, int what) {
        AttributesBuilder b = attributes.of(who).toBuilder();
        switch (what) {
            case RTT_V4, RTT_V6 -> b.put(Attr.NETWORK_TRANSPORT, "tcp").put(Attr.NETWORK_TYPE,
                    what == RTT_V4 ? "ipv4" : "ipv6");
            case DURATION_CLIENT, DURATION_SERVER, DURATION_UNKNOWN -> b.put(Attr.ROLE, what == DURATION_CLIENT
                    ? "client" : what == DURATION_SERVER ? "server" : "unknown")
                    .putAll(attributes.peer(who));
            default -> b.putAll(attributes.peer(who)).put(Attr.NETWORK_TRANSPORT, "tcp")
                    .put(Attr.NETWORK_IO_DIRECTION, what == TX ? "transmit" : "receive");
        }
        return b.build();
    }

    @Override
    public void onEvent(Event e, Who who) {
        if (e instanceof ConnEvent c) {
            ConnStats s = c.stats();
            if (c.kind() != ConnEvent.Kind.CLOSE && s.established() && s.srttUs() > 0) {
                rtt.record(s.srttUs() / 1e6, attrs(who, c.tuple().family() == Tuple.AF_INET6 ? RTT_V6 : RTT_V4));
            }
            if (c.kind() == ConnEvent.Kind.CLOSE && c.durationMs() >= 0 && s.established()) {
                int what = switch (s.role()) {
                    case CLIENT -> DURATION_CLIENT;
                    case SERVER -> DURATION_SERVER;
                    default -> DURATION_UNKNOWN;
                };
                duration.record(c.durationMs() / 1e3, attrs(who, what));
            }
        } else if (e instanceof AnomalyEvent a) {
            // Rare (at most one per series and interval): rendered each time, not cached.
            anomalies.add(1, attributes.of(who).toBuilder()
                    .put(Attr.NETWORK_IO_DIRECTION, a.direction().otelName())
                    .put(Attr.NETWORK_TRANSPORT, "tcp")
                    .put(Attr.LAYER, a.layer().label()).build());
        } else if (e instanceof CallCountEvent c) {
            calls.add(c.count(), callAttrs(who, c.function())); // per pod, not per process: bounded series
        } else if (e instanceof FlowEvent f) {
            if (f.txBytes() > 0) {
                bytes.add(f.txBytes(), attrs(who, TX));
            }
            if (f.rxBytes() > 0) {
                bytes.add(f.rxBytes(), attrs(who, RX));
            }
        }
    }
}
