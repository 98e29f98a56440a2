package io.netwatcher.logging;

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
}
