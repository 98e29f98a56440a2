package io.netwatcher.kube;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of the agent's watches on the Kubernetes API, per watch ("node-pods", "cluster-pods",
 * "services"): synced or not, errors seen. Logged on every change; exported as self-metrics.
 */
public final class KubeHealth {
    private static final Logger LOG = LoggerFactory.getLogger(KubeHealth.class);

    /** One watch's state. */
    public enum State {
        STARTING,
        SYNCED,
        DISCONNECTED
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();

    void set(String watch, State state, String why) {
        State old = states.put(watch, state);
        if (old == state) {
            return;
        }
        if (state == State.DISCONNECTED) {
            disconnects.incrementAndGet();
            LOG.warn("kubernetes watch {}: disconnected ({}); labelling by cgroup and process, retrying", watch, why);
        } else if (state == State.SYNCED) {
            if (old == State.DISCONNECTED) {
                reconnects.incrementAndGet();
            }
            LOG.info("kubernetes watch {}: synced{}", watch, old == State.DISCONNECTED ? " again" : "");
        }
    }

    void error() {
        errors.incrementAndGet();
    }

    public State state(String watch) {
        return states.getOrDefault(watch, State.STARTING);
    }

    /** True when every watch is synced. */
    public boolean synced() {
        return !states.isEmpty() && states.values().stream().allMatch(s -> s == State.SYNCED);
    }

    public Map<String, State> states() {
        return Map.copyOf(states);
    }

    /** API errors seen (list or watch failures). */
    public long errors() {
        return errors.get();
    }

    /** Times a watch was lost (list or watch failing, or not watching any more). */
    public long disconnects() {
        return disconnects.get();
    }

    /** Times a watch came back after being disconnected. */
    public long reconnects() {
        return reconnects.get();
    }
}
