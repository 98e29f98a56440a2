package io.netwatcher.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** One log stream: java.util.logging (the OpenTelemetry SDK's logger) is routed into SLF4J and logback. */
public final class Logging {
    private Logging() {
    }

    /** Replaces java.util.logging's console handler with the bridge to SLF4J (idempotent). */
    public static synchronized void bridgeJavaUtilLogging() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /**
     * Writes every count of repeated warnings still held back (with the last message of each):
     * called at shutdown, so the end of a burst and the last totals are not lost.
     */
    public static void flushHeldBack() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        for (Logger logger : context.getLoggerList()) {
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                if (it.next() instanceof OutputStreamAppender<ILoggingEvent> a
                        && a.getEncoder() instanceof OneLineEncoder encoder) {
                    encoder.flushHeldBack(true);
                }
            }
        }
    }
}
