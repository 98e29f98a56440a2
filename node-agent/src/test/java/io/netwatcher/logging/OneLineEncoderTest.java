package io.netwatcher.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One line per message, exceptions included; repeated problems once a minute with a count. */
class OneLineEncoderTest {
    private static final long S = 1_000_000_000L;
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final AtomicLong now = new AtomicLong();
    private final OneLineEncoder encoder = new OneLineEncoder(new RepeatLimiter(60 * S, 16), now::get);

    private LoggingEvent event(String logger, Level level, String message, Throwable t, Object... args) {
        return new LoggingEvent(logger, context.getLogger(logger), level, message, t, args);
    }

    @Test
    void anExceptionAndLineBreaksStayOnOneLine() {
        Exception e = new IOException("Failed to export spans", new ConnectException("Connection refused"));
        String line = encoder.format(event("io.opentelemetry.exporter.internal.http.HttpExporter", Level.ERROR,
                "Failed to export spans.\nThe request could not be executed. Full error message: {}", e,
                "Connection refused"));
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.endsWith("\n"));
        assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S+ ERROR i\\.o\\.e\\.i\\.h\\.HttpExporter"
                + " - Failed to export spans\\.\\\\nThe request could not be executed\\. Full error message:"
                + " Connection refused \\(IOException: Failed to export spans; caused by ConnectException:"
                + " Connection refused at OneLineEncoderTest\\.anExceptionAndLineBreaksStayOnOneLine"
                + "\\(OneLineEncoderTest\\.java:\\d+\\)\\)\n"), line);
        assertTrue(encoder.format(event("x", Level.INFO, "bell \u0007 escape \u001b[31m", null)).contains(
                "bell \\u0007 escape \\u001b[31m"), "control characters escaped");
    }

    @Test
    void aRepeatedProblemIsWrittenOnceAMinuteWithTheCountHeldBack() {
        String first = encoder.format(event("libbpf", Level.WARN, "export failed after {} ms", null, 10));
        assertTrue(first.contains("export failed after 10 ms"), first);
        for (int i = 0; i < 119; i++) { // two a second, numbers varying
            now.addAndGet(S / 2);
            assertNull(encoder.format(event("libbpf", Level.WARN, "export failed after {} ms", null, 10 + i)));
        }
        assertTrue(encoder.format(event("libbpf", Level.WARN, "another problem", null)) != null,
                "a different message is not held back");
        assertTrue(encoder.format(event("other", Level.WARN, "export failed after {} ms", null, 1)) != null,
                "nor the same text from another logger");
        now.addAndGet(S / 2);
        String next = encoder.format(event("libbpf", Level.WARN, "export failed after {} ms", null, 99));
        assertTrue(next.endsWith(" - export failed after 99 ms [119 similar messages suppressed in the last 60 s]\n"),
                next);
        for (int i = 0; i < 5; i++) {
            assertTrue(encoder.format(event("x", Level.INFO, "boundary {}", null, "same")) != null,
                    "information is never held back");
        }
    }

    @Test
    void theEndOfABurstIsWrittenWhenItsMinuteEndsWithTheLastMessage() {
        assertTrue(encoder.format(event("i.n.agent.Agent", Level.WARN, "{} events lost in the kernel", null, 100))
                .contains("100 events lost"));
        for (int i = 1; i <= 10; i++) {
            now.addAndGet(S);
            assertNull(encoder.format(event("i.n.agent.Agent", Level.WARN, "{} events lost in the kernel", null,
                    100 + i * 7)));
        }
        now.addAndGet(30 * S); // 40 s after the first: the minute is not over
        assertEquals(List.of(), encoder.heldBack(context, false));
        now.addAndGet(25 * S); // 65 s: it is, and nothing came since
        List<ILoggingEvent> due = encoder.heldBack(context, false);
        assertEquals(1, due.size());
        String line = encoder.format(due.get(0));
        assertTrue(line.endsWith(" WARN  i.n.agent.Agent - 170 events lost in the kernel [the last of 10 similar messages"
                + " suppressed in the last 65 s]\n"), "the final total, and the real span: " + line);
        assertEquals(List.of(), encoder.heldBack(context, false), "written once");
        now.addAndGet(S);
        assertNull(encoder.format(event("i.n.agent.Agent", Level.WARN, "{} events lost in the kernel", null, 171)),
                "a recurrence within a minute of that line is held back again");
        List<ILoggingEvent> atStop = encoder.heldBack(context, true);
        assertEquals(1, atStop.size(), "at shutdown, whatever is held is written");
        assertTrue(encoder.format(atStop.get(0)).endsWith("171 events lost in the kernel [the last of 1 similar message"
                + " suppressed in the last 1 s]\n"));
    }

    @Test
    void theCountSaysTheRealSpan() {
        assertTrue(encoder.format(event("x", Level.ERROR, "export failed", null)) != null);
        now.addAndGet(S);
        assertNull(encoder.format(event("x", Level.ERROR, "export failed", null)));
        now.addAndGet(3 * 3600 * S); // no timer ran (as in this test): the next occurrence carries the count
        String next = encoder.format(event("x", Level.ERROR, "export failed", null));
        assertTrue(next.endsWith("export failed [1 similar message suppressed in the last 3 h]\n"), next);
        assertEquals("45 s", RepeatLimiter.span(45 * S));
        assertEquals("12 min", RepeatLimiter.span(12 * 60 * S));
    }

    @Test
    void messagesThatDifferInNamesAddressesAndIdsAreOneProblem() {
        List<String> same = List.of(
                "cannot refresh connections in /proc/4711/ns/net: setns failed",
                "pod shop/checkout-7c9f8d6b5-x2k4p: no container"
                        + " 3f2a9c0d1e7b44aa90c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3",
                "peer 2001:db8::1 unreachable", "peer fe80::a:b unreachable", "peer [2001:db8::17]:443 unreachable",
                "pod uid 0b5c1a2e-3d4f-4a6b-8c9d-0e1f2a3b4c5d gone", "pod nginx-bcdfg restarted",
                "cookie 0x7eed00001 reused");
        List<String> similar = List.of(
                "cannot refresh connections in /proc/99/ns/net: setns failed",
                "pod shop/frontend-5d8c7b9f4-q2w7z: no container"
                        + " 9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081",
                "peer 2001:db8:1:2::ff unreachable", "peer ::1 unreachable", "peer [fe80::1]:8080 unreachable",
                "pod uid ffffffff-0000-4000-8000-123456789abc gone", "pod nginx-qwrtz restarted",
                "cookie 0x1 reused");
        for (int i = 0; i < same.size(); i++) {
            assertEquals(RepeatLimiter.key("WARN", "l", same.get(i)), RepeatLimiter.key("WARN", "l", similar.get(i)),
                    same.get(i) + " / " + similar.get(i));
        }
        assertEquals(2, same.stream().map(m -> RepeatLimiter.key("WARN", "l", m))
                .filter(k -> k.contains("peer # unreachable")).count());
        List<String> different = List.of("probe tp_tcp_probe failed", "probe tp_tcp_retransmit_skb failed",
                "ring buffer full", "ring-buffer reader stuck", "watch node-pods disconnected",
                "watch services disconnected");
        assertEquals(different.size(),
                different.stream().map(m -> RepeatLimiter.key("WARN", "l", m)).distinct().count(),
                "words without digits stay apart");
        assertTrue(encoder.format(event("k", Level.WARN, "pod {} gone", null, "api-7d9f8-abcde")) != null);
        assertNull(encoder.format(event("k", Level.WARN, "pod {} gone", null, "db-0")), "another pod, the same problem");
    }

    @Test
    void heldBackCountsGoThroughTheAppenders() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        encoder.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(bytes);
        appender.start();
        ch.qos.logback.classic.Logger logger = context.getLogger("io.netwatcher.test.HeldBack");
        logger.setAdditive(false);
        logger.addAppender(appender);
        try {
            for (int i = 0; i < 5; i++) {
                logger.warn("attempt {} failed", i);
            }
            encoder.flushHeldBack(true);
        } finally {
            logger.detachAppender(appender);
            appender.stop();
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(1).endsWith("attempt 4 failed [the last of 4 similar messages suppressed in the last 1 s]"),
                lines.toString());
    }

    @Test
    void javaUtilLoggingComesOutInTheSameFormat() {
        Logging.bridgeJavaUtilLogging();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        OneLineEncoder enc = new OneLineEncoder();
        enc.setContext(context);
        enc.start();
        appender.setEncoder(enc);
        appender.setOutputStream(bytes);
        appender.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        try {
            java.util.logging.Logger.getLogger("io.opentelemetry.sdk.internal.ThrottlingLogger").log(
                    java.util.logging.Level.SEVERE, "Failed to export metrics", new IllegalStateException("boom"));
        } finally {
            root.detachAppender(appender);
            appender.stop();
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.contains(" ERROR i.o.s.i.ThrottlingLogger - Failed to export metrics (IllegalStateException: boom at "),
                out);
    }
}
