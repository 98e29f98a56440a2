package io.netwatcher.export;

import io.netwatcher.agent.EventListener;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.FlowEvent;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;

/**
 * Metrics computed from events with the SDK's instruments: the TCP RTT of every established
 * connection at every connection update (one sample per connection and interval, so busy and
 * idle connections weigh the same), connection durations at close, and bytes per pod, direction
 * and peer from the per-interval byte deltas.
 */
public final class EventMetrics implements EventListener {
    static final List<Double> RTT_BUCKETS = List.of(25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
            25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0, 2.5, 5.0);
    static final List<Double> DURATION_BUCKETS = List.of(1e-3, 10e-3, 100e-3, 1.0, 10.0, 60.0, 300.0, 900.0, 3600.0,
            14400.0, 86400.0);

    private final Identity identity;
    private final DoubleHistogram rtt;
    private final DoubleHistogram duration;
    private final LongCounter bytes;

    public EventMetrics(Meter meter, Identity identity) {
        this.identity = identity;
        this.rtt = meter.histogramBuilder("netwatcher.tcp.rtt").setUnit("s")
                .setDescription("Smoothed RTT of established TCP connections, sampled once per connection and interval")
                .setExplicitBucketBoundariesAdvice(RTT_BUCKETS).build();
        this.duration = meter.histogramBuilder("netwatcher.tcp.connection.duration").setUnit("s")
                .setDescription("Lifetime of TCP connections, from connect()/accept to close")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS).build();
        this.bytes = meter.counterBuilder("netwatcher.tcp.bytes").setUnit("By")
                .setDescription("TCP payload bytes acknowledged (transmit) and received in order (receive)").build();
    }

    @Override
    public void onEvent(Event e) {
        if (e instanceof ConnEvent c) {
            Attributes who = identity.of(c.cgroupId());
            if (c.kind() != ConnEvent.Kind.CLOSE && c.stats().established() && c.stats().srttUs() > 0) {
                rtt.record(c.stats().srttUs() / 1e6, who.toBuilder().put(Attr.NETWORK_TRANSPORT, "tcp")
                        .put(Attr.NETWORK_TYPE, c.tuple().familyName()).build());
            }
            if (c.kind() == ConnEvent.Kind.CLOSE && c.durationMs() >= 0 && c.stats().established()) {
                duration.record(c.durationMs() / 1e3, who.toBuilder().put(Attr.ROLE, c.stats().role().label())
                        .putAll(identity.peer(c.tuple().dstHi(), c.tuple().dstLo())).build());
            }
        } else if (e instanceof FlowEvent f) {
            Attributes base = identity.of(f.cgroupId()).toBuilder()
                    .putAll(identity.peer(f.tuple().dstHi(), f.tuple().dstLo()))
                    .put(Attr.NETWORK_TRANSPORT, "tcp").build();
            if (f.txBytes() > 0) {
                bytes.add(f.txBytes(), base.toBuilder().put(Attr.NETWORK_IO_DIRECTION, "transmit").build());
            }
            if (f.rxBytes() > 0) {
                bytes.add(f.rxBytes(), base.toBuilder().put(Attr.NETWORK_IO_DIRECTION, "receive").build());
            }
        }
    }
}
