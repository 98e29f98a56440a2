package io.netwatcher.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class LogbackConfiguratorTest {
    @Test
    void oneStderrAppenderWithTheOneLineEncoderAndJulLevelsFollowing() {
        LoggerContext context = new LoggerContext();
        LogbackConfigurator c = new LogbackConfigurator();
        c.setContext(context);
        assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, c.configure(context));
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        ConsoleAppender<?> stderr = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertEquals("System.err", stderr.getTarget());
        assertInstanceOf(OneLineEncoder.class, stderr.getEncoder());
        assertEquals(1, context.getCopyOfListenerList().stream()
                .filter(l -> l instanceof LevelChangePropagator).count());
        context.stop();
    }

    @Test
    void levelFromTheVariableInfoOtherwise() {
        assertEquals(Level.DEBUG, LogbackConfigurator.level("debug"));
        assertEquals(Level.WARN, LogbackConfigurator.level(" WARN "));
        assertEquals(Level.INFO, LogbackConfigurator.level(null));
        assertEquals(Level.INFO, LogbackConfigurator.level("loud"));
    }

    @Test
    void theAgentsLoggingIsThisConfigurator() {
        // The service registration is what makes logback use it (no logback.xml ships).
        assertEquals(LogbackConfigurator.class.getName(), ServiceLoader.load(Configurator.class).stream()
                .map(p -> p.type().getName()).filter(n -> n.startsWith("io.netwatcher")).findFirst().orElse(""));
    }
}
