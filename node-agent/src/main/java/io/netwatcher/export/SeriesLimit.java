package io.netwatcher.export;

import io.opentelemetry.api.common.Attributes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Bounds the series of each metric: the first {@code limit} attribute sets are kept, later ones
 * are folded into one overflow series ({@code otel.metric.overflow=true}), as the OpenTelemetry
 * SDK does for its own instruments. Series stay admitted for the agent's lifetime.
 */
final class SeriesLimit {
    static final Attributes OVERFLOW = Attributes.of(Attr.OVERFLOW, true);

    private final int limit;
    private final Map<String, Set<Attributes>> admitted = new ConcurrentHashMap<>();

    SeriesLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1");
        }
        this.limit = limit;
    }

    Attributes admit(String metric, Attributes attrs) {
        Set<Attributes> set = admitted.computeIfAbsent(metric, k -> new HashSet<>());
        synchronized (set) {
            if (set.contains(attrs)) {
                return attrs;
            }
            if (set.size() < limit - 1) { // one place stays for the overflow series
                set.add(attrs);
                return attrs;
            }
        }
        return OVERFLOW;
    }

    /** Forgets series that ended (a pod gone), making room for new ones. */
    void releaseIf(Predicate<Attributes> ended) {
        for (Set<Attributes> set : admitted.values()) {
            synchronized (set) {
                set.removeIf(ended);
            }
        }
    }

    int admitted(String metric) {
        Set<Attributes> set = admitted.get(metric);
        if (set == null) {
            return 0;
        }
        synchronized (set) {
            return set.size();
        }
    }
}
