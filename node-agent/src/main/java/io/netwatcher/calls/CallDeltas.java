package io.netwatcher.calls;

import io.netwatcher.event.CallCountEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns reads of the kernel's cumulative call counters into per-interval events: one per counter
 * that grew, with the growth. A counter first seen counts from zero (it was created by the first
 * call after the probes attached, or after its deletion). A counter unchanged for
 * {@value #IDLE_READS} reads is deleted (its process is idle or gone: the map stays bounded by the
 * processes that call); a call between that read and the delete is lost.
 */
final class CallDeltas {
    static final int IDLE_READS = 3;

    private final List<String> functions;
    private final Map<CallCountMap.Key, Counter> counters = new HashMap<>();
    private long lastNs;

    /** One counter as last read: its total and how many reads in a row it did not change. */
    private static final class Counter {
        long total;
        int idle;
    }

    /** {@code functions}: the names of the cookies (function indexes); {@code startNs}: when the probes attached. */
    CallDeltas(List<String> functions, long startNs) {
        this.functions = List.copyOf(functions);
        this.lastNs = startNs;
    }

    /** The events of one read at {@code nowNs}; {@code delete} removes an idle counter from the kernel's map. */
    List<CallCountEvent> next(List<CallCountMap.Entry> read, long nowNs, Consumer<CallCountMap.Key> delete) {
        long interval = Math.max(0, nowNs - lastNs);
        lastNs = nowNs;
        List<CallCountEvent> out = new ArrayList<>();
        Set<CallCountMap.Key> seen = new HashSet<>();
        for (CallCountMap.Entry e : read) {
            CallCountMap.Key k = e.key();
            if (k.func() < 0 || k.func() >= functions.size()) {
                continue; // not a cookie this agent attached
            }
            seen.add(k);
            Counter c = counters.computeIfAbsent(k, x -> new Counter());
            if (e.calls() > c.total) {
                long delta = e.calls() - c.total;
                c.total = e.calls();
                c.idle = 0;
                out.add(new CallCountEvent(nowNs, interval, k.cgroupId(), k.tgid(), k.comm(),
                        functions.get(k.func()), delta, c.total));
            } else if (++c.idle >= IDLE_READS) {
                delete.accept(k);
                counters.remove(k);
            }
        }
        counters.keySet().retainAll(seen);
        return out;
    }

    /** Counters followed now. */
    int size() {
        return counters.size();
    }
}
