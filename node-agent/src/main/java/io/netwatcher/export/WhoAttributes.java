package io.netwatcher.export;

import io.netwatcher.event.Who;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Renders who an event belongs to as OpenTelemetry attributes: the pod (namespace, name, uid,
 * container, workload) in Kubernetes mode, else the cgroup path (host processes, standalone
 * mode); nothing for the node itself (no cgroup). Peers as the peer's namespace, workload and
 * service. Rendered attribute sets are kept (bounded), so an event costs a map lookup.
 */
public final class WhoAttributes {
    private static final int MAX_CACHED = 100_000;

    private final Map<Object, Attributes> cache = new ConcurrentHashMap<>();

    /** The pod's attributes, else the cgroup path's; empty when neither is known. */
    public Attributes of(Who who) {
        if (who.pod() != null) {
            return cached(who.pod(), WhoAttributes::pod);
        }
        if (who.cgroupPath() != null) {
            return cached(who.cgroupPath(), p -> Attributes.of(Attr.CGROUP, p));
        }
        return Attributes.empty();
    }

    /** The peer's attributes; empty when there is none. */
    public Attributes peer(Who who) {
        return who.peer() == null ? Attributes.empty() : cached(who.peer(), WhoAttributes::peer);
    }

    @SuppressWarnings("unchecked")
    private <K> Attributes cached(K key, Function<K, Attributes> render) {
        Attributes a = cache.get(key);
        if (a == null) {
            if (cache.size() > MAX_CACHED) {
                cache.clear();
            }
            a = cache.computeIfAbsent(key, k -> render.apply((K) k));
        }
        return a;
    }

    static Attributes pod(Who.Pod p) {
        AttributesBuilder b = Attributes.builder().put(Attr.K8S_NAMESPACE, p.namespace()).put(Attr.K8S_POD, p.name())
                .put(Attr.K8S_POD_UID, p.uid());
        if (p.container() != null) {
            b.put(Attr.K8S_CONTAINER, p.container());
        }
        if (p.workloadKind() != null && p.workload() != null) {
            b.put(Attr.workload(p.workloadKind()), p.workload());
        }
        return b.build();
    }

    static Attributes peer(Who.Peer r) {
        AttributesBuilder b = Attributes.builder().put(Attr.PEER_NAMESPACE, r.namespace());
        if (r.workload() != null) {
            b.put(Attr.PEER_WORKLOAD, r.workload());
        }
        if (r.service() != null) {
            b.put(Attr.PEER_SERVICE, r.service());
        }
        return b.build();
    }
}
