package io.netwatcher.export;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventListener;
import io.netwatcher.event.Layer;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.ResetDirection;
import io.netwatcher.event.RetransmitKind;
import io.netwatcher.event.Role;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Traces from events, with the kernel's own timestamps (CLOCK_MONOTONIC mapped to wall time):
 * <ul>
 *   <li>one trace per sampled packet: a root span from its first to its last boundary and a child
 *       span per layer it crossed;</li>
 *   <li>one span per closed connection, from connect()/accept to close, with an event for each
 *       retransmit and reset it had (kept per socket while it is open, bounded).</li>
 * </ul>
 */
public final class Tracing implements EventListener {
    private static final int MAX_EVENTS_PER_CONNECTION = 64;
    private static final int MAX_CONNECTIONS = 65_536;

    private record Mark(long timeNs, String name, Attributes attrs) {
    }

    private final Tracer tracer;
    private final WhoAttributes attributes;
    private final MonotonicClock clock;
    private final Map<Long, List<Mark>> marks = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, List<Mark>> e) {
            return size() > MAX_CONNECTIONS;
        }
    };

    public Tracing(Tracer tracer, WhoAttributes attributes, MonotonicClock clock) {
        this.tracer = tracer;
        this.attributes = attributes;
        this.clock = clock;
    }

    @Override
    public void onEvent(Event e, Who who) {
        if (e instanceof PacketEvent p) {
            packet(p, who);
        } else if (e instanceof ErrorEvent x && x.cookie() != 0
                && (x.kind() == ErrorKind.RETRANSMIT || x.kind() == ErrorKind.RESET)) {
            List<Mark> m = marks.computeIfAbsent(x.cookie(), k -> new ArrayList<>());
            if (m.size() < MAX_EVENTS_PER_CONNECTION) {
                m.add(x.kind() == ErrorKind.RETRANSMIT
                        ? new Mark(x.timeNs(), "retransmit", Attributes.of(Attr.RETRANSMIT_KIND,
                        RetransmitKind.label(x.detail()), Attr.SEQ, x.seq()))
                        : new Mark(x.timeNs(), "reset", Attributes.of(Attr.RESET_DIRECTION,
                        ResetDirection.of(x.detail()).label())));
            }
        } else if (e instanceof ConnEvent c && c.kind() == ConnEvent.Kind.CLOSE) {
            connection(c, who, marks.remove(c.cookie()));
        }
    }

    private long epoch(long monoNs) {
        return clock.toEpochNs(monoNs);
    }

    private AttributesBuilder endpoints(Tuple t, AttributesBuilder b) {
        if (t.isKnown()) {
            b.put(Attr.NETWORK_TYPE, t.familyName()).put(Attr.NETWORK_TRANSPORT, "tcp")
                    .put(Attr.NETWORK_LOCAL_ADDRESS, t.srcAddress()).put(Attr.NETWORK_LOCAL_PORT, (long) t.sport())
                    .put(Attr.NETWORK_PEER_ADDRESS, t.dstAddress()).put(Attr.NETWORK_PEER_PORT, (long) t.dport());
        }
        return b;
    }

    private void packet(PacketEvent p, Who who) {
        long first = p.firstStampNs();
        long last = p.lastStampNs();
        if (first == 0 || last < first) {
            return;
        }
        // The packet's own source and destination; local/peer from the socket's side.
        Tuple socket = p.direction() == Direction.RX ? p.tuple().reversed() : p.tuple();
        AttributesBuilder b = attributes.of(who).toBuilder()
                .put(Attr.NETWORK_IO_DIRECTION, p.direction().otelName())
                .put(Attr.SEQ, p.seq()).put(Attr.LEN, p.len()).put(Attr.COOKIE, p.cookie())
                .putAll(attributes.peer(who));
        if (p.tuple().isKnown()) {
            b.put(Attr.PACKET_SRC, p.tuple().src()).put(Attr.PACKET_DST, p.tuple().dst());
        }
        endpoints(socket, b).put(Attr.NETWORK_TRANSPORT, p.transport().label());
        if (p.http() != null) {
            b.put(Attr.HTTP_LINE, p.http());
        }
        Span root = tracer.spanBuilder(p.direction() == Direction.RX ? "packet receive" : "packet transmit")
                .setSpanKind(SpanKind.INTERNAL).setNoParent().setStartTimestamp(epoch(first), TimeUnit.NANOSECONDS)
                .setAllAttributes(b.build()).startSpan();
        Context parent = Context.root().with(root);
        for (Layer l : Layer.of(p.direction())) {
            long ns = p.layerNs(l);
            if (ns < 0) {
                continue;
            }
            long start = p.stamps()[l.index()];
            tracer.spanBuilder(l.label(p.transport())).setParent(parent).setSpanKind(SpanKind.INTERNAL)
                    .setStartTimestamp(epoch(start), TimeUnit.NANOSECONDS)
                    .setAttribute(Attr.LAYER, l.label(p.transport()))
                    .setAttribute(Attr.NETWORK_IO_DIRECTION, p.direction().otelName())
                    .startSpan().end(epoch(start + ns), TimeUnit.NANOSECONDS);
        }
        root.end(epoch(last), TimeUnit.NANOSECONDS);
    }

    private void connection(ConnEvent c, Who who, List<Mark> m) {
        if (c.stats().startNs() == 0) {
            return; // opened before the agent: no start to draw from
        }
        AttributesBuilder b = attributes.of(who).toBuilder().put(Attr.ROLE, c.stats().role().label())
                .put(Attr.COOKIE, c.cookie())
                .putAll(attributes.peer(who));
        endpoints(c.tuple(), b);
        b.put("netwatcher.tcp.bytes_sent", c.stats().bytesSent())
                .put("netwatcher.tcp.bytes_received", c.stats().bytesReceived())
                .put("netwatcher.tcp.retransmits", c.stats().totalRetrans())
                .put("netwatcher.tcp.srtt_us", c.stats().srttUs())
                .put("netwatcher.tcp.established", c.stats().established());
        Span s = tracer.spanBuilder("tcp connection").setNoParent()
                .setSpanKind(c.stats().role() == Role.SERVER ? SpanKind.SERVER : SpanKind.CLIENT)
                .setStartTimestamp(epoch(c.stats().startNs()), TimeUnit.NANOSECONDS).setAllAttributes(b.build())
                .startSpan();
        if (m != null) {
            for (Mark mark : m) {
                s.addEvent(mark.name(), mark.attrs(), epoch(mark.timeNs()), TimeUnit.NANOSECONDS);
            }
        }
        s.end(epoch(c.timeNs()), TimeUnit.NANOSECONDS);
    }
}
