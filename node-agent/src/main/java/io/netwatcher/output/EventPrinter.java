package io.netwatcher.output;

import io.netwatcher.agent.EventListener;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.PacketEvent;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Writes events to a stream (stdout for {@code kubectl logs}) as JSON lines or table rows,
 * keeping only the chosen event types, closed connections only with {@code --all}, and
 * stopping after {@code --count} packet events.
 */
public final class EventPrinter implements EventListener {
    /** Event type names, as in the JSON "type" field and the --events option. */
    public static final Set<String> TYPES = Set.of("packet", "connection", "retransmit", "reset", "drop",
            "bad_checksum", "receive_queue_full", "buffer_limit", "flow", "latency");

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

    /**
     * @param pid        keep only events of this process (0 = all)
     * @param maxPackets stop after this many packet events (0 = never); then {@code onLimit} runs once
     */
    public EventPrinter(Format format, JsonEventFormatter json, TableFormatter table, PrintStream out, Set<String> types,
                        boolean all, int pid, long maxPackets, Runnable onLimit) {
        this.format = format;
        this.json = json;
        this.table = table;
        this.out = out;
        this.types = Set.copyOf(types);
        this.all = all;
        this.pid = pid;
        this.maxPackets = maxPackets;
        this.onLimit = onLimit;
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
        throw new IllegalArgumentException("unknown event " + e);
    }

    @Override
    public void onEvent(Event e) {
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
            json.format(e, line);
            writeLine();
        } else {
            if (!headerDone) {
                out.println(table.header());
                headerDone = true;
            }
            out.println(table.format(e));
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
