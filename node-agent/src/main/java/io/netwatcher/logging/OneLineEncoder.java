package io.netwatcher.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.pattern.Abbreviator;
import ch.qos.logback.classic.pattern.TargetLengthBasedClassNameAbbreviator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * The agent's one log format, for its own messages and for everything bridged into SLF4J (the
 * OpenTelemetry SDK's java.util.logging, fabric8, libbpf): {@code time LEVEL logger - message},
 * always one line. Line breaks and other control characters in messages are escaped; an exception
 * becomes its chain of causes on the same line, with the frame that threw the innermost one.
 * Warnings and errors that repeat (same logger, same text up to numbers, addresses and generated
 * names) are written once per minute, with the count of those held back; counts still held when
 * the minute ends are written with the last message held back (checked every 5 s, and at
 * shutdown by {@link Logging#flushHeldBack()}).
 */
public final class OneLineEncoder extends EncoderBase<ILoggingEvent> {
    static final long WINDOW_NS = 60_000_000_000L;
    /** Marks the line that reports held-back messages: it is not held back itself. */
    static final Marker HELD_BACK = MarkerFactory.getMarker("netwatcher-held-back");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    private static final int MAX_CAUSES = 8;

    private final Abbreviator abbreviator = new TargetLengthBasedClassNameAbbreviator(20);
    private final RepeatLimiter limiter;
    private final LongSupplier nanoClock;
    private ScheduledExecutorService timer;

    public OneLineEncoder() {
        this(new RepeatLimiter(WINDOW_NS, 1024), System::nanoTime);
    }

    OneLineEncoder(RepeatLimiter limiter, LongSupplier nanoClock) {
        this.limiter = limiter;
        this.nanoClock = nanoClock;
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    /** Starts the timer that writes counts held back when their minute ends. */
    @Override
    public void start() {
        super.start();
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "nw-log-held-back");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleWithFixedDelay(() -> flushHeldBack(false), 5, 5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        super.stop();
    }

    /**
     * Writes, through the loggers' appenders, the counts held back whose minute has ended (all of
     * them with {@code all}), each with the last message held back.
     */
    void flushHeldBack(boolean all) {
        if (getContext() instanceof LoggerContext context) {
            for (ILoggingEvent e : heldBack(context, all)) {
                context.getLogger(e.getLoggerName()).callAppenders(e);
            }
        }
    }

    /** The lines reporting counts held back, as events marked {@link #HELD_BACK}. */
    List<ILoggingEvent> heldBack(LoggerContext context, boolean all) {
        List<ILoggingEvent> out = new ArrayList<>();
        for (RepeatLimiter.Held h : limiter.due(nanoClock.getAsLong(), all)) {
            String text = h.lastText() + " [the last of " + h.count() + (h.count() == 1 ? " similar message" :
                    " similar messages") + " suppressed in the last " + RepeatLimiter.span(h.spanNs()) + "]";
            LoggingEvent e = new LoggingEvent(OneLineEncoder.class.getName(), context.getLogger(h.logger()),
                    Level.toLevel(h.level()), text, null, null);
            e.addMarker(HELD_BACK);
            out.add(e);
        }
        return out;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        String line = format(event);
        return line == null ? new byte[0] : line.getBytes(StandardCharsets.UTF_8);
    }

    /** The line for this event (with its newline), or null when it repeats a problem already written. */
    String format(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        String thrown = event.getThrowableProxy() == null ? "" : causes(event.getThrowableProxy());
        RepeatLimiter.Verdict verdict = null;
        if (event.getLevel().isGreaterOrEqual(Level.WARN) && !heldBackLine(event)) {
            verdict = limiter.admit(event.getLevel().toString(), event.getLoggerName(),
                    (message == null ? "" : message) + (thrown.isEmpty() ? "" : " (" + thrown + ")"),
                    nanoClock.getAsLong());
            if (!verdict.passed()) {
                return null;
            }
        }
        StringBuilder sb = new StringBuilder(128 + (message == null ? 0 : message.length()) + thrown.length());
        sb.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
        String level = event.getLevel().toString();
        sb.append(level).append(" ".repeat(Math.max(0, 5 - level.length()))).append(' ');
        sb.append(abbreviator.abbreviate(event.getLoggerName())).append(" - ");
        escape(sb, message == null ? "" : message);
        if (!thrown.isEmpty()) {
            sb.append(" (");
            escape(sb, thrown);
            sb.append(')');
        }
        if (verdict != null && verdict.held() > 0) {
            sb.append(" [").append(verdict.held())
                    .append(verdict.held() == 1 ? " similar message" : " similar messages")
                    .append(" suppressed in the last ").append(RepeatLimiter.span(verdict.spanNs())).append(']');
        }
        return sb.append('\n').toString();
    }

    /** {@code IOException: refused; caused by ConnectException: ... at Class.method(File.java:12)}. */
    static String causes(IThrowableProxy t) {
        StringBuilder sb = new StringBuilder();
        Map<IThrowableProxy, Boolean> seen = new IdentityHashMap<>();
        IThrowableProxy innermost = t;
        for (int i = 0; t != null && i < MAX_CAUSES && seen.put(t, Boolean.TRUE) == null; i++, t = t.getCause()) {
            if (i > 0) {
                sb.append("; caused by ");
            }
            String cls = t.getClassName();
            sb.append(cls.substring(cls.lastIndexOf('.') + 1));
            if (t.getMessage() != null) {
                sb.append(": ").append(t.getMessage());
            }
            innermost = t;
        }
        StackTraceElementProxy[] frames = innermost.getStackTraceElementProxyArray();
        if (frames != null && frames.length > 0) {
            StackTraceElement f = frames[0].getStackTraceElement();
            String cls = f.getClassName();
            sb.append(" at ").append(cls.substring(cls.lastIndexOf('.') + 1)).append('.').append(f.getMethodName())
                    .append('(').append(f.getFileName() == null ? "?" : f.getFileName());
            if (f.getLineNumber() > 0) {
                sb.append(':').append(f.getLineNumber());
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /** Escapes line breaks and other control characters, as JSON does, so a message stays one line. */
    static void escape(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }

    private static boolean heldBackLine(ILoggingEvent e) {
        return e.getMarkerList() != null && e.getMarkerList().contains(HELD_BACK);
    }
}
