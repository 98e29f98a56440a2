package io.netwatcher.output;

import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.CallCountEvent;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.ConnectCountEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.DnsEvent;
import io.netwatcher.event.DnsOutcome;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.NetfilterEvent;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.Layer;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.ResetDirection;
import io.netwatcher.event.RetransmitKind;
import io.netwatcher.event.StateEvent;
import io.netwatcher.event.Transport;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import io.netwatcher.names.Dns;
import io.netwatcher.names.IpProtocol;
import io.netwatcher.names.KernelNames;
import io.netwatcher.names.TcpState;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One JSON object per event, as documented in docs/events.md: the event's fields, then who it
 * belongs to (process, cgroup; in Kubernetes mode node, pod and peer).
 */
public final class JsonEventFormatter {
    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final String[] CA_STATES = {"Open", "Disorder", "CWR", "Recovery", "Loss"};

    private final MonotonicClock clock;
    private final KernelNames names;

    public JsonEventFormatter(MonotonicClock clock, KernelNames names) {
        this.clock = clock;
        this.names = names;
    }

    public String format(Event e, Who who) {
        StringBuilder sb = new StringBuilder(384);
        format(e, who, sb);
        return sb.toString();
    }

    /** Appends the event's JSON object to {@code sb}: a caller that reuses one builder allocates no line. */
    public void format(Event e, Who who, StringBuilder sb) {
        Json j = Json.object(sb);
        if (e instanceof PacketEvent p) {
            packet(j, p);
        } else if (e instanceof ConnEvent c) {
            conn(j, c);
        } else if (e instanceof ErrorEvent x) {
            error(j, x);
        } else if (e instanceof FlowEvent f) {
            flow(j, f);
        } else if (e instanceof LatencyEvent l) {
            latency(j, l);
        } else if (e instanceof StateEvent s) {
            state(j, s);
        } else if (e instanceof IcmpEvent i) {
            icmp(j, i);
        } else if (e instanceof DnsEvent d) {
            dns(j, d);
        } else if (e instanceof AnomalyEvent a) {
            anomaly(j, a);
        } else if (e instanceof ConnectCountEvent c) {
            connectCount(j, c);
        } else if (e instanceof CallCountEvent c) {
            callCount(j, c);
        } else if (e instanceof NetfilterEvent n) {
            netfilter(j, n);
        }
        common(j, e, who);
        kubernetes(j, who);
        j.end();
    }

    private long cachedSecond = Long.MIN_VALUE;
    private String cachedPrefix;

    /** RFC 3339 UTC with microseconds; the date and time of day are formatted once per second. */
    public String time(long monoNs) {
        long epochNs = clock.toEpochNs(monoNs);
        long second = Math.floorDiv(epochNs, 1_000_000_000L);
        long micros = Math.floorMod(epochNs, 1_000_000_000L) / 1000;
        String prefix;
        synchronized (this) {
            if (second != cachedSecond) {
                cachedPrefix = SECONDS.format(Instant.ofEpochSecond(second));
                cachedSecond = second;
            }
            prefix = cachedPrefix;
        }
        StringBuilder sb = new StringBuilder(28).append(prefix).append('.');
        String digits = Long.toString(micros);
        for (int pad = 6 - digits.length(); pad > 0; pad--) {
            sb.append('0');
        }
        return sb.append(digits).append('Z').toString();
    }

    private void packet(Json j, PacketEvent p) {
        Tuple t = p.tuple();
        // The event tuple is the socket's (local first); a packet reads sender -> receiver.
        boolean rx = p.direction() == Direction.RX;
        j.field("type", "packet")
                .field("time", time(p.firstStampNs() != 0 ? p.firstStampNs() : p.timeNs()))
                .field("direction", p.direction().jsonName())
                .field("protocol", p.transport().label())
                .field("family", t.familyName())
                .field("src", rx ? t.dst() : t.src())
                .field("dst", rx ? t.src() : t.dst());
        if (p.transport() == Transport.TCP) {
            j.field("seq", p.seq()).field("ack", p.ack());
        }
        j.field("len", p.len());
        Json layers = j.object("layers_us");
        for (Layer l : Layer.of(p.direction())) {
            long ns = p.layerNs(l);
            if (ns >= 0) {
                layers.micros(l.label(p.transport()), ns);
            }
        }
        layers.end();
        j.micros("total_us", p.totalNs()).field("cookie", p.cookie());
        if (p.http() != null) {
            j.field("http", p.http());
        }
    }

    private void conn(Json j, ConnEvent c) {
        ConnStats s = c.stats();
        Tuple t = c.tuple();
        j.field("type", "connection")
                .field("event", c.kind().label())
                .field("time", time(c.timeNs()))
                .field("family", t.familyName())
                .field("src", t.src())
                .field("dst", t.dst())
                .field("role", s.role().label())
                .field("cookie", c.cookie())
                .field("uid", s.uid())
                .field("state", TcpState.name(s.state()))
                .field("established", s.established())
                .field("srtt_us", s.srttUs())
                .field("rttvar_us", s.rttvarUs())
                .field("cwnd", s.cwnd())
                .field("ssthresh", s.ssthresh())
                .field("rwnd", s.rwnd())
                .field("snd_wnd", s.sndWnd())
                .field("bytes_sent", s.bytesSent())
                .field("bytes_received", s.bytesReceived())
                .field("bytes_retrans", s.bytesRetrans())
                .field("segs_out", s.segsOut())
                .field("retransmits", s.totalRetrans())
                .field("fast_retransmits", s.fastRetrans())
                .field("timeout_retransmits", s.timeoutRetrans())
                .field("other_retransmits", s.otherRetrans())
                .field("resets", s.resets())
                .field("backlog", s.backlog())
                .field("max_backlog", s.maxBacklog())
                .field("sndbuf", s.sndbuf())
                .field("wmem_queued", s.wmemQueued())
                .field("rcvbuf", s.rcvbuf());
        long d = c.durationMs();
        if (d >= 0) {
            j.field("duration_ms", d);
        } else {
            j.nullField("duration_ms");
        }
        if (c.kind() == ConnEvent.Kind.CLOSE) {
            j.field("previous_state", TcpState.name(c.oldState()));
        }
    }

    private void state(Json j, StateEvent s) {
        Tuple t = s.tuple();
        j.field("type", "state")
                .field("time", time(s.timeNs()))
                .field("family", t.familyName())
                .field("src", t.src())
                .field("dst", t.dst())
                .field("cookie", s.cookie())
                .field("old_state", TcpState.name(s.oldState()))
                .field("new_state", TcpState.name(s.newState()));
        if (s.durationKnown()) {
            j.micros("duration_us", s.durationNs());
        } else {
            j.nullField("duration_us");
        }
        if (s.failure() != null) {
            j.field("handshake_failure", s.failure().label());
        }
        if (s.skErr() != 0) {
            j.field("error", s.skErr());
        }
    }

    private void error(Json j, ErrorEvent x) {
        j.field("type", x.kind().jsonType()).field("time", time(x.timeNs()));
        switch (x.kind()) {
            case RETRANSMIT -> j.field("kind", RetransmitKind.label(x.detail()))
                    .field("seq", x.seq())
                    .field("state", TcpState.name(x.state()))
                    .field("segments", Math.max(1, x.extra() >>> 8))
                    .field("ca_state", caState((int) (x.extra() & 0xFF)));
            case RESET -> {
                j.field("direction", ResetDirection.of(x.detail()).label());
                if (x.state() != 0) {
                    j.field("state", TcpState.name(x.state()));
                }
            }
            case DROP, BENIGN_DROP -> {
                j.field("reason", names.dropReason(x.detail()))
                        .field("reason_code", x.detail())
                        .field("protocol", protocol((int) x.extra()))
                        .field("location", names.kernelSymbol(x.location()));
                segment(j, x);
            }
            case BAD_CHECKSUM -> {
                j.field("protocol", protocol((int) x.extra()));
                segment(j, x);
            }
            case RECEIVE_QUEUE_FULL, BUFFER_LIMIT -> j.field("protocol", protocol(x.detail()))
                    .field("state", TcpState.name(x.state()));
        }
        Tuple t = x.tuple();
        if (t.isKnown()) {
            j.field("family", t.familyName()).field("src", t.src()).field("dst", t.dst());
        } else {
            j.nullField("src").nullField("dst");
        }
        j.field("cookie", x.cookie());
    }

    /** A TCP segment's sequence and acknowledgement numbers, payload length and flags. */
    private static void segment(Json j, ErrorEvent x) {
        if (x.extra() == IpProtocol.TCP.value()) {
            j.field("seq", x.seq()).field("ack", x.ack()).field("len", x.len()).field("tcp_flags", tcpFlags(x.tcpFlags()));
        }
    }

    private static final String[] TCP_FLAGS = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

    /** The TCP flags byte as names, e.g. {@code SYN|ACK}; empty when none is set. */
    static String tcpFlags(int flags) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < TCP_FLAGS.length; i++) {
            if ((flags & (1 << i)) != 0) {
                if (sb.length() > 0) {
                    sb.append('|');
                }
                sb.append(TCP_FLAGS[i]);
            }
        }
        return sb.toString();
    }

    private void flow(Json j, FlowEvent f) {
        Tuple t = f.tuple();
        j.field("type", "flow")
                .field("time", time(f.timeNs()))
                .field("family", t.familyName())
                .field("src", t.src())
                .field("dst", t.dst())
                .field("interval_ms", f.intervalNs() / 1_000_000)
                .field("tx_bytes", f.txBytes())
                .field("rx_bytes", f.rxBytes())
                .field("tx_total", f.txTotal())
                .field("rx_total", f.rxTotal())
                .field("cookie", f.cookie());
    }

    private void latency(Json j, LatencyEvent l) {
        LayerHistogram h = l.histogram();
        j.field("type", "latency")
                .field("time", time(l.timeNs()))
                .field("direction", h.direction().jsonName())
                .field("layer", h.layerLabel())
                .field("interval_ms", l.intervalNs() / 1_000_000)
                .field("count", h.count())
                .micros("mean_us", h.count() == 0 ? 0 : h.sumNs() / h.count())
                .micros("p50_us", h.quantileNs(0.5))
                .micros("p90_us", h.quantileNs(0.9))
                .micros("p99_us", h.quantileNs(0.99));
    }

    private void netfilter(Json j, NetfilterEvent n) {
        NetfilterHistogram h = n.histogram();
        j.field("type", EventPrinter.NETFILTER)
                .field("time", time(n.timeNs()))
                .field("family", h.ipv6() ? "ipv6" : "ipv4")
                .field("hook", h.hook().label())
                .field("netns", h.netns())
                .field("interval_ms", n.intervalNs() / 1_000_000)
                .field("count", h.count())
                .micros("mean_us", h.meanNs())
                .micros("p50_us", h.quantileNs(0.5))
                .micros("p90_us", h.quantileNs(0.9))
                .micros("p99_us", h.quantileNs(0.99));
    }

    private void callCount(Json j, CallCountEvent c) {
        j.field("type", "call_count")
                .field("time", time(c.timeNs()))
                .field("function", c.function())
                .field("interval_ms", c.intervalNs() / 1_000_000)
                .field("count", c.count())
                .field("total", c.total());
    }

    private void anomaly(Json j, AnomalyEvent a) {
        j.field("type", "anomaly")
                .field("time", time(a.timeNs()))
                .field("direction", a.direction().jsonName())
                .field("layer", a.layer().label())
                .field("interval_ms", a.intervalNs() / 1_000_000)
                .field("count", a.count())
                .micros("p99_us", a.observedNs())
                .micros("expected_p99_us", a.expectedNs())
                .micros("band_p99_us", a.bandNs())
                .field("intervals", a.intervals());
    }

    /** tcpconnect -c's LADDR, RADDR, RPORT and CONNECTS (in the interval; and the running total). */
    private void connectCount(Json j, ConnectCountEvent c) {
        Tuple t = c.tuple();
        j.field("type", "connect_count")
                .field("time", time(c.timeNs()))
                .field("family", t.familyName())
                .field("laddr", t.srcAddress())
                .field("raddr", t.dstAddress())
                .field("rport", t.dport())
                .field("interval_ms", c.intervalNs() / 1_000_000)
                .field("connects", c.connects())
                .field("total", c.total());
    }

    private void icmp(Json j, IcmpEvent i) {
        Tuple t = i.tuple();
        j.field("type", "icmp")
                .field("time", time(i.timeNs()))
                .field("side", i.side().label())
                .field("family", t.familyName())
                .field("src", t.srcAddress())
                .field("dst", t.dstAddress())
                .field("id", i.id())
                .field("seq", i.seq())
                .micros("latency_us", i.latencyNs())
                .field("cpu", i.cpu())
                .field("task_pid", i.taskPid())
                .field("task_tgid", i.taskTgid())
                .field("task_comm", i.taskComm())
                .field("netns", i.netns());
    }

    private void dns(Json j, DnsEvent d) {
        Tuple t = d.tuple();
        j.field("type", "dns")
                .field("time", time(d.timeNs()))
                .field("outcome", d.outcome().label())
                .field("protocol", IpProtocol.label(d.protocol()))
                .field("family", t.familyName())
                .field("src", t.srcAddress())
                .field("sport", t.sport())
                .field("server", t.dstAddress())
                .field("dport", t.dport())
                .field("id", d.id());
        if (!d.name().isEmpty()) {
            j.field("name", d.name());
        }
        j.field("qtype", Dns.qtype(d.qtype()));
        if (d.outcome() == DnsOutcome.ANSWERED) {
            j.field("rcode", Dns.rcode(d.rcode())).field("answers", d.ancount());
        }
        j.micros("latency_us", d.latencyNs()).field("cookie", d.cookie());
    }

    private static void common(Json j, Event e, Who who) {
        if (e.pid() != 0) {
            j.field("pid", e.pid()).field("comm", e.comm());
        }
        if (who.cgroupPath() != null) {
            j.field("cgroup", who.cgroupPath());
        }
    }

    /**
     * Kubernetes mode (a node is named): {@code node}; {@code pod} (namespace, name, uid, container,
     * workload, workload_kind; null when the event is no pod's) and {@code peer} (the pod or Service
     * at the other end, when known).
     */
    private static void kubernetes(Json json, Who who) {
        if (who.node() == null) {
            return;
        }
        json.field("node", who.node());
        Who.Pod p = who.pod();
        if (p != null) {
            Json o = json.object("pod");
            o.field("namespace", p.namespace()).field("name", p.name()).field("uid", p.uid())
                    .field("container", p.container()).field("workload", p.workload())
                    .field("workload_kind", p.workloadKind());
            o.end();
        } else {
            json.nullField("pod");
        }
        Who.Peer r = who.peer();
        if (r != null) {
            Json o = json.object("peer");
            o.field("namespace", r.namespace());
            if (r.name() != null) {
                o.field("name", r.name());
            }
            if (r.workload() != null) {
                o.field("workload", r.workload()).field("workload_kind", r.workloadKind());
            }
            if (r.service() != null) {
                o.field("service", r.service());
            }
            o.end();
        }
    }

    static String caState(int ca) {
        return ca < CA_STATES.length ? CA_STATES[ca] : Integer.toString(ca);
    }

    static String protocol(int proto) {
        return IpProtocol.label(proto);
    }
}
