package io.netwatcher.testing;

import io.netwatcher.agent.Agent;
import io.netwatcher.anomaly.AnomalyConfig;
import io.netwatcher.cost.CostConfig;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventListener;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.Who;
import io.netwatcher.probe.ProbeConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Runs the agent in the test JVM and collects every event it reports. */
public final class AgentHarness implements AutoCloseable, EventListener {
    private final Agent agent;
    private final List<Event> events = new ArrayList<>();

    private AgentHarness(Agent agent) {
        this.agent = agent;
    }

    /** Every packet reported, connection stats refreshed on every segment, no event caps. */
    public static ProbeConfig testConfig() {
        return ProbeConfig.builder().maxEventsPerSec(0).maxErrorsPerSec(0).snapshotNs(0).ringBufferBytes(16 << 20)
                .build();
    }

    public static AgentHarness start(ProbeConfig config) throws IOException {
        return start(config, CostConfig.none());
    }

    public static AgentHarness start(ProbeConfig config, CostConfig cost) throws IOException {
        return start(config, cost, AnomalyConfig.defaults(), 200_000_000L);
    }

    /** With this latency anomaly detection and this interval of the map reads (200 ms otherwise). */
    public static AgentHarness start(ProbeConfig config, CostConfig cost, AnomalyConfig anomalies, long intervalNs)
            throws IOException {
        Agent agent = new Agent(config, cost, intervalNs, new MonotonicClock());
        agent.setAnomalies(anomalies);
        AgentHarness h = new AgentHarness(agent);
        agent.addListener(h);
        try {
            agent.start();
        } catch (IOException | RuntimeException e) {
            agent.close();
            throw e;
        }
        return h;
    }

    public Agent agent() {
        return agent;
    }

    @Override
    public synchronized void onEvent(Event event, Who who) {
        events.add(event);
        notifyAll();
    }

    public synchronized List<Event> events() {
        return new ArrayList<>(events);
    }

    public <T extends Event> List<T> events(Class<T> type) {
        return events().stream().filter(type::isInstance).map(type::cast).toList();
    }

    public <T extends Event> List<T> events(Class<T> type, Predicate<T> p) {
        return events(type).stream().filter(p).toList();
    }

    /** Waits until some event of {@code type} matches, or fails after {@code timeout}. */
    public <T extends Event> T await(Class<T> type, Predicate<T> p, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                for (Event e : events) {
                    if (type.isInstance(e) && p.test(type.cast(e))) {
                        return type.cast(e);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; got "
                            + summary());
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Waits for a connection event of {@code kind} on {@code cookie}. */
    public ConnEvent awaitConn(ConnEvent.Kind kind, Predicate<ConnEvent> p, Duration timeout, String what)
            throws InterruptedException {
        return await(ConnEvent.class, c -> c.kind() == kind && p.test(c), timeout, what);
    }

    private String summary() {
        StringBuilder sb = new StringBuilder();
        events.stream().map(e -> e.getClass().getSimpleName()).distinct()
                .forEach(n -> sb.append(n).append('=').append(events.stream()
                        .filter(e -> e.getClass().getSimpleName().equals(n)).count()).append(' '));
        return sb.toString().strip();
    }

    @Override
    public void close() {
        agent.close();
    }
}
