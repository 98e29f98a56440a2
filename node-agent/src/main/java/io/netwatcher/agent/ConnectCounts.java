package io.netwatcher.agent;

import io.netwatcher.event.ConnectCountEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.Tuple;
import io.netwatcher.kernel.ConnectCountMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The kernel's connect counts read every interval: a {@link ConnectCountEvent} per cgroup and
 * destination that connected in the interval, with the interval's count and the running total.
 * The kernel applies the socket filter (--uid, --sport, --dport) as it counts. An entry with no
 * connect for {@link #IDLE_NS} is deleted from the map, so the map holds the destinations in use,
 * not every one ever seen; its total starts again from its next connect. A connect counted in the
 * instant between the read that found the entry idle and its deletion is lost.
 */
final class ConnectCounts {
    /** How long an entry stays without a connect before it is deleted. */
    static final long IDLE_NS = 60_000_000_000L;

    private record Key(long cgroupId, Tuple tuple) {}

    /** An entry's count as last read, and when it last grew. */
    private static final class Seen {
        long connects;
        long grewNs;

        Seen(long grewNs) {
            this.grewNs = grewNs;
        }
    }

    private final Supplier<List<ConnectCountMap.Entry>> read;
    private final Predicate<byte[]> delete;
    private final long idleNs;
    private final Map<Key, Seen> seen = new HashMap<>();

    /** Over the loaded probes' map. */
    ConnectCounts(ConnectCountMap map) {
        this(map::read, map::delete, IDLE_NS);
    }

    /** {@code read}: the map's entries; {@code delete}: deletes one by its key; entries idle {@code idleNs} go. */
    ConnectCounts(Supplier<List<ConnectCountMap.Entry>> read, Predicate<byte[]> delete, long idleNs) {
        this.read = Objects.requireNonNull(read, "read");
        this.delete = Objects.requireNonNull(delete, "delete");
        if (idleNs <= 0) {
            throw new IllegalArgumentException("idleNs must be > 0");
        }
        this.idleNs = idleNs;
    }

    /** Reads the map: the interval that ends at {@code nowNs} and lasted {@code intervalNs}. */
    void poll(long nowNs, long intervalNs, Consumer<Event> sink) {
        Set<Key> present = new HashSet<>();
        for (ConnectCountMap.Entry e : read.get()) {
            Key k = new Key(e.cgroupId(), e.tuple());
            present.add(k);
            Seen s = seen.computeIfAbsent(k, x -> new Seen(nowNs));
            // Fewer than last time: the entry was deleted and created again in between.
            long connects = e.connects() >= s.connects ? e.connects() - s.connects : e.connects();
            if (connects > 0) {
                s.connects = e.connects();
                s.grewNs = nowNs;
                sink.accept(new ConnectCountEvent(nowNs, Math.max(0, intervalNs), e.cgroupId(), e.tuple(), connects,
                        e.connects()));
            } else if (nowNs - s.grewNs >= idleNs) {
                delete.test(e.key());
                seen.remove(k);
                present.remove(k);
            }
        }
        seen.keySet().retainAll(present);
    }
}
