package io.netwatcher.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
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
