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
import io.netwatcher.event.StateEvent;
import io.netwatcher.event.ResetDirection;
import io.netwatcher.event.RetransmitKind;
import io.netwatcher.event.Transport;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import io.netwatcher.names.Dns;
import io.netwatcher.names.IpProtocol;
import io.netwatcher.names.KernelNames;
import io.netwatcher.names.TcpState;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Human-readable lines, one per event, like the seeds' consoles (delay_analysis columns for
 * packets; net_watcher's connection fields; flow's per-process bytes). Times are local. Strings
 * from the kernel or the host (process names, cgroup paths, HTTP lines) are escaped as JSON
 * escapes them: a name with a newline cannot forge a row, and ESC or BEL never reach the terminal.
 */
public final class TableFormatter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    private final MonotonicClock clock;
    private final KernelNames names;

    public TableFormatter(MonotonicClock clock, KernelNames names) {
        this.clock = clock;
        this.names = names;
    }

    /** Column headings, printed once at start. */
    public String header() {
        return String.format("%-12s %-10s %-45s %-45s %s", "TIME", "TYPE", "SRC", "DST", "DETAIL");
    }

    public String format(Event e, Who who) {
        String time = TIME.format(clock.toInstant(e.timeNs()));
        Tuple t = e.tuple();
        if (e instanceof PacketEvent p) {
            boolean rx = p.direction() == Direction.RX;
            StringBuilder d = new StringBuilder();
            d.append(p.transport() == Transport.TCP ? String.format("seq=%d ack=%d len=%d", p.seq(), p.ack(), p.len())
                    : String.format("%s len=%d", p.transport().label(), p.len()));
            for (Layer l : Layer.of(p.direction())) {
                long ns = p.layerNs(l);
                d.append(' ').append(l.label(p.transport())).append('=').append(ns < 0 ? "-" : us(ns));
            }
            d.append(" total=").append(us(p.totalNs())).append("us");
            if (p.http() != null) {
                d.append(" http=\"").append(escape(p.http())).append('"');
            }
            return line(time, "packet/" + p.direction().jsonName(), rx ? t.dst() : t.src(), rx ? t.src() : t.dst(),
                    d + proc(e, who));
        }
        if (e instanceof ConnEvent c) {
            ConnStats s = c.stats();
            String d = String.format("%s %s srtt=%dus cwnd=%d ssthresh=%d rwnd=%d sent=%d recv=%d retrans=%d"
                            + " (fast %d, timeout %d) backlog=%d/%d sndbuf=%d wmem=%d dur=%s",
                    s.role().label(), TcpState.name(s.state()), s.srttUs(), s.cwnd(), s.ssthresh(), s.rwnd(),
                    s.bytesSent(), s.bytesReceived(), s.totalRetrans(), s.fastRetrans(), s.timeoutRetrans(),
                    s.backlog(), s.maxBacklog(), s.sndbuf(), s.wmemQueued(),
                    c.durationMs() < 0 ? "-" : c.durationMs() + "ms");
            return line(time, "conn/" + c.kind().label(), t.src(), t.dst(), d + proc(e, who));
        }
        if (e instanceof ErrorEvent x) {
            String d = switch (x.kind()) {
                case RETRANSMIT -> RetransmitKind.label(x.detail()) + " seq=" + x.seq();
                case RESET -> ResetDirection.of(x.detail()).label();
                case DROP, BENIGN_DROP -> escape(names.dropReason(x.detail())) + " at "
                        + escape(names.kernelSymbol(x.location()));
                case BAD_CHECKSUM -> "seq=" + x.seq();
                case RECEIVE_QUEUE_FULL, BUFFER_LIMIT -> TcpState.name(x.state());
            };
            return line(time, x.kind().jsonType(), t.isKnown() ? t.src() : "-", t.isKnown() ? t.dst() : "-",
                    d + proc(e, who));
        }
        if (e instanceof StateEvent st) {
            String d = TcpState.name(st.oldState()) + " -> " + TcpState.name(st.newState()) + " after "
                    + (st.durationKnown() ? us(st.durationNs()) + "us" : "-")
                    + (st.failure() != null ? " handshake " + st.failure().label() : "");
            return line(time, "state", t.isKnown() ? t.src() : "-", t.isKnown() ? t.dst() : "-", d + proc(e, who));
        }
        if (e instanceof LatencyEvent l) {
            LayerHistogram h = l.histogram();
            String d = String.format("%s %-6s n=%d mean=%sus p50=%sus p99=%sus", h.direction().jsonName(),
                    h.layerLabel(), h.count(), us(h.count() == 0 ? 0 : h.sumNs() / h.count()),
                    us(h.quantileNs(0.5)), us(h.quantileNs(0.99)));
            return line(time, "latency", "-", "-", d + proc(e, who));
        }
        if (e instanceof DnsEvent q) {
            String d = String.format("%s %s %s %s %s answers=%d latency=%sus", q.outcome().label(),
                    IpProtocol.label(q.protocol()), Dns.qtype(q.qtype()), q.name().isEmpty() ? "-" : escape(q.name()),
                    q.outcome() == DnsOutcome.ANSWERED ? Dns.rcode(q.rcode()) : "-", q.ancount(), us(q.latencyNs()));
            return line(time, "dns", t.src(), t.dst(), d + proc(e, who));
        }
        if (e instanceof NetfilterEvent n) {
            NetfilterHistogram h = n.histogram();
            String d = String.format("%s %-11s netns=%d n=%d mean=%sus p50=%sus p99=%sus", h.ipv6() ? "ipv6" : "ipv4",
                    h.hook().label(), h.netns(), h.count(), us(h.meanNs()), us(h.quantileNs(0.5)),
                    us(h.quantileNs(0.99)));
            return line(time, EventPrinter.NETFILTER, "-", "-", d + proc(e, who));
        }
        if (e instanceof CallCountEvent c) {
            String d = String.format("%s calls=%d total=%d", c.function(), c.count(), c.total());
            return line(time, "call_count", "-", "-", d + proc(e, who));
        }
        if (e instanceof AnomalyEvent a) {
            String d = String.format("%s %-6s n=%d p99=%sus expected=%sus band=%sus", a.direction().jsonName(),
                    a.layer().label(), a.count(), us(a.observedNs()), us(a.expectedNs()), us(a.bandNs()));
            return line(time, "anomaly", "-", "-", d + proc(e, who));
        }
        if (e instanceof ConnectCountEvent c) {
            return line(time, "connects", t.srcAddress(), t.dst(), "connects=" + c.connects() + " total=" + c.total()
                    + proc(e, who));
        }
        if (e instanceof IcmpEvent i) {
            String d = String.format("%s id=%d seq=%d latency=%sus cpu=%d task=%d/%d %s", i.side().label(), i.id(),
                    i.seq(), us(i.latencyNs()), i.cpu(), i.taskTgid(), i.taskPid(), escape(i.taskComm()));
            return line(time, "icmp", t.srcAddress(), t.dstAddress(), d + proc(e, who));
        }
        FlowEvent f = (FlowEvent) e;
        String d = String.format("rx=%.1fKB tx=%.1fKB rx_sum=%.1fKB tx_sum=%.1fKB", f.rxBytes() / 1024.0,
                f.txBytes() / 1024.0, f.rxTotal() / 1024.0, f.txTotal() / 1024.0);
        return line(time, "flow", t.src(), t.dst(), d + proc(e, who));
    }

    private static String proc(Event e, Who who) {
        StringBuilder sb = new StringBuilder();
        if (e.pid() != 0) {
            sb.append(" pid=").append(e.pid()).append(" comm=").append(escape(e.comm()));
        }
        if (who.cgroupPath() != null) {
            sb.append(" cgroup=").append(escape(who.cgroupPath()));
        }
        return sb.toString();
    }

    /**
     * {@code s} with backslashes, control characters (C0, DEL, C1) and quotes escaped as in JSON
     * strings ({@code \n}, {@code \u001b}, ...); null stays null.
     */
    static String escape(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !special(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 8).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (special(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static boolean special(char c) {
        return c < 0x20 || c == '\\' || c == '"' || c >= 0x7F && c < 0xA0;
    }

    private static String line(String time, String type, String src, String dst, String detail) {
        return String.format("%-12s %-10s %-45s %-45s %s", time, type, src, dst, detail);
    }

    private static String us(long ns) {
        StringBuilder sb = new StringBuilder();
        Json.appendMicros(sb, ns);
        return sb.toString();
    }
}
