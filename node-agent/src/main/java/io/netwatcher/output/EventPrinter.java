package io.netwatcher.output;

import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.CallCountEvent;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnectCountEvent;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.DnsEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventListener;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.NetfilterEvent;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.StateEvent;
import io.netwatcher.event.Who;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Writes events to a stream (stdout for {@code kubectl logs}) as JSON lines or table rows,
 * keeping only the chosen event types, closed connections only with {@code --all}, and
 * stopping after {@code --count} packet events.
 */
public final class EventPrinter implements EventListener {
    /** The type of TCP state transition events (off by default: the kernel reports them only on request). */
    public static final String STATE = "state";
    /** The type of latency anomaly events. */
    public static final String ANOMALY = "anomaly";
    /** The type of per-interval connect counts (bcc tcpconnect -c). */
    public static final String CONNECT_COUNT = "connect_count";
    /** The type of kernel function call count events (--count-calls). */
    public static final String CALL_COUNT = "call_count";
    /** The type of per-interval netfilter hook time summaries (--netfilter-times). */
    public static final String NETFILTER = "netfilter";
    /** Event type names, as in the JSON "type" field and the --events option (one per error kind). */
    public static final Set<String> TYPES = Stream.concat(Stream.of("packet", "connection", "flow", "latency",
            STATE, "icmp", "dns", ANOMALY, CONNECT_COUNT, CALL_COUNT, NETFILTER),
            Arrays.stream(ErrorKind.values()).map(ErrorKind::jsonType))
            .collect(Collectors.toUnmodifiableSet());
    /** What is printed without --events: everything but drops that are not losses and TCP state transitions. */
    public static final Set<String> DEFAULT_TYPES = TYPES.stream()
            .filter(t -> !t.equals(ErrorKind.BENIGN_DROP.jsonType()) && !t.equals(STATE))
            .collect(Collectors.toUnmodifiableSet());

    public enum Format {
        JSON,
        TABLE
    }

    private final Format format;
    private final JsonEventFormatter json;
    private final TableFormatter table;
    private final PrintStream out;
    private final Set<String> types;
    private final boolean all;
    private final int pid;
    private final long maxPackets;
    private final Runnable onLimit;
    private long packets;
    private boolean headerDone;
    /** The JSON line being written and its bytes: reused, so printing an event allocates no line. */
    private final StringBuilder line = new StringBuilder(1024);
    private byte[] bytes = new byte[1024];

    private EventPrinter(Builder b) {
        this.format = b.format;
        this.json = b.json;
        this.table = b.table;
        this.out = b.out;
        this.types = Set.copyOf(b.types);
        this.all = b.all;
        this.pid = b.pid;
        this.maxPackets = b.maxPackets;
        this.onLimit = b.onLimit;
    }

    /** A printer to {@code out}: JSON lines of every default type unless told otherwise. */
    public static Builder builder(PrintStream out) {
        return new Builder(out);
    }

    /** What is printed, how, and when to stop. */
    public static final class Builder {
        private final PrintStream out;
        private Format format = Format.JSON;
        private JsonEventFormatter json;
        private TableFormatter table;
        private Set<String> types = DEFAULT_TYPES;
        private boolean all;
        private int pid;
        private long maxPackets;
        private Runnable onLimit = () -> { };

        private Builder(PrintStream out) {
            this.out = Objects.requireNonNull(out, "out");
        }

        /** JSON lines (the default) with this formatter. */
        public Builder json(JsonEventFormatter formatter) {
            this.format = Format.JSON;
            this.json = formatter;
            return this;
        }

        /** Table rows with this formatter. */
        public Builder table(TableFormatter formatter) {
            this.format = Format.TABLE;
            this.table = formatter;
            return this;
        }

        /** The event types printed (names of {@link #TYPES}; default {@link #DEFAULT_TYPES}). */
        public Builder types(Set<String> types) {
            this.types = types;
            return this;
        }

        /** Also print closed connections (default: opens and updates only). */
        public Builder all(boolean all) {
            this.all = all;
            return this;
        }

        /** Keep only events of this process (default 0: all). */
        public Builder pid(int pid) {
            this.pid = pid;
            return this;
        }

        /** Stop after this many packet events (0 = never), then run {@code onLimit} once. */
        public Builder maxPackets(long maxPackets, Runnable onLimit) {
            this.maxPackets = maxPackets;
            this.onLimit = Objects.requireNonNull(onLimit, "onLimit");
            return this;
        }

        public EventPrinter build() {
            Objects.requireNonNull(types, "types");
            for (String t : types) {
                if (!TYPES.contains(t)) {
                    throw new IllegalArgumentException("unknown event type " + t);
                }
            }
            if (format == Format.JSON ? json == null : table == null) {
                throw new IllegalStateException("no formatter for " + format);
            }
            if (pid < 0 || maxPackets < 0) {
                throw new IllegalArgumentException("pid and maxPackets must be >= 0");
            }
            return new EventPrinter(this);
        }
    }

    public static String typeOf(Event e) {
        if (e instanceof PacketEvent) {
            return "packet";
        }
        if (e instanceof ConnEvent) {
            return "connection";
        }
        if (e instanceof ErrorEvent x) {
            return x.kind().jsonType();
        }
        if (e instanceof FlowEvent) {
            return "flow";
        }
        if (e instanceof LatencyEvent) {
            return "latency";
        }
        if (e instanceof StateEvent) {
            return STATE;
        }
        if (e instanceof IcmpEvent) {
            return "icmp";
        }
        if (e instanceof DnsEvent) {
            return "dns";
        }
        if (e instanceof AnomalyEvent) {
            return ANOMALY;
        }
        if (e instanceof ConnectCountEvent) {
            return CONNECT_COUNT;
        }
        if (e instanceof CallCountEvent) {
            return CALL_COUNT;
        }
        if (e instanceof NetfilterEvent) {
            return NETFILTER;
        }
        throw new IllegalArgumentException("unknown event " + e);
    }

    @Override
    public void onEvent(Event e, Who who) {
        if (maxPackets > 0 && packets >= maxPackets) {
            return;
        }
        String type = typeOf(e);
        if (!types.contains(type)) {
            return;
        }
        if (!all && e instanceof ConnEvent c && c.kind() == ConnEvent.Kind.CLOSE) {
            return;
        }
        if (pid != 0 && e.pid() != pid) {
            return;
        }
        if (format == Format.JSON) {
            line.setLength(0);
            json.format(e, who, line);
            writeLine();
        } else {
            if (!headerDone) {
                out.println(table.header());
                headerDone = true;
            }
            out.println(table.format(e, who));
        }
        if (e instanceof PacketEvent && maxPackets > 0 && ++packets >= maxPackets) {
            out.flush();
            onLimit.run();
        }
    }

    /** Writes {@link #line} and a newline as UTF-8 (ASCII byte by byte, the usual case). */
    private void writeLine() {
        line.append(System.lineSeparator());
        int n = line.length();
        if (bytes.length < n) {
            bytes = new byte[Math.max(n, 2 * bytes.length)];
        }
        for (int i = 0; i < n; i++) {
            char c = line.charAt(i);
            if (c >= 0x80) { // a name with non-ASCII characters: let the encoder do the line
                byte[] b = line.toString().getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                return;
            }
            bytes[i] = (byte) c;
        }
        out.write(bytes, 0, n);
    }

    @Override
    public void flush() {
        out.flush();
    }
}
