package io.netwatcher.kube;

import java.util.Map;
import java.util.Set;
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
    /** When each watch now disconnected lost its connection (System.nanoTime()). */
    private final Map<String, Long> disconnectedSince = new ConcurrentHashMap<>();
    /** Watches that have synced at least once. */
    private final Set<String> everSynced = ConcurrentHashMap.newKeySet();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();

    void set(String watch, State state, String why) {
        State old = states.put(watch, state);
        if (old == state) {
            return;
        }
        if (state == State.DISCONNECTED) {
            disconnectedSince.putIfAbsent(watch, System.nanoTime());
            disconnects.incrementAndGet();
            LOG.warn("kubernetes watch {}: disconnected ({}); labelling by cgroup and process, retrying", watch, why);
        } else if (state == State.SYNCED) {
            disconnectedSince.remove(watch);
            everSynced.add(watch);
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

    /** True when every watch is synced (and watching: false during an API server outage). */
    public boolean synced() {
        return !states.isEmpty() && states.values().stream().allMatch(s -> s == State.SYNCED);
    }

    /** True when every watch has synced at least once since the start (the caches were filled). */
    public boolean syncedOnce() {
        return !states.isEmpty() && everSynced.containsAll(states.keySet());
    }

    /** How long the longest current disconnection has lasted (0 when every watch is connected). */
    public long disconnectedForNs(long nowNs) {
        long longest = 0;
        for (long since : disconnectedSince.values()) {
            longest = Math.max(longest, nowNs - since);
        }
        return longest;
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
