package io.netwatcher.export;

import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.kube.PeerRecord;
import io.netwatcher.kube.PodAttribution;
import io.netwatcher.kube.PodRecord;
import io.netwatcher.output.Labels;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.Optional;

/**
 * Who a cgroup is, as metric attributes: the pod (namespace, name, uid, container, workload) in
 * Kubernetes mode, else the cgroup path (host processes, standalone mode). Cgroup 0 (no socket,
 * e.g. a drop before any socket lookup) is the node itself: no attributes.
 */
public final class Identity {
    private final PodAttribution pods;
    private final Labels host;
    private final NamespaceScope scope;

    public Identity(PodAttribution pods, Labels host) {
        this(pods, host, NamespaceScope.ALL);
    }

    public Identity(PodAttribution pods, Labels host, NamespaceScope scope) {
        this.pods = pods;
        this.host = host;
        this.scope = scope;
    }

    /** The cgroup's attributes; null when the cgroup is out of the namespace scope (not reported). */
    public Attributes of(long cgroupId) {
        if (cgroupId == 0) {
            return scope.admits(null) ? Attributes.empty() : null;
        }
        Optional<PodAttribution.PodHit> hit = pods == null ? Optional.empty() : pods.byCgroup(cgroupId);
        if (hit.isPresent()) {
            PodRecord p = hit.get().pod();
            return scope.admits(p.namespace()) ? pod(p, hit.get().container()) : null;
        }
        if (!scope.admits(null)) {
            return null;
        }
        String path = host == null ? null : host.cgroupPath(cgroupId);
        return path == null ? Attributes.empty() : Attributes.of(Attr.CGROUP, path);
    }

    static Attributes pod(PodRecord p, String container) {
        AttributesBuilder b = Attributes.builder().put(Attr.K8S_NAMESPACE, p.namespace()).put(Attr.K8S_POD, p.name())
                .put(Attr.K8S_POD_UID, p.uid());
        if (container != null) {
            b.put(Attr.K8S_CONTAINER, container);
        }
        if (p.workloadKind() != null && p.workload() != null) {
            b.put(Attr.workload(p.workloadKind()), p.workload());
        }
        return b.build();
    }

    /** The peer at an address (pod workload or service), as metric attributes; empty when unknown. */
    public Attributes peer(long hi, long lo) {
        if (pods == null) {
            return Attributes.empty();
        }
        Optional<PeerRecord> r = pods.peer(hi, lo);
        if (r.isEmpty()) {
            return Attributes.empty();
        }
        AttributesBuilder b = Attributes.builder().put(Attr.PEER_NAMESPACE, r.get().namespace());
        if (r.get().workload() != null) {
            b.put(Attr.PEER_WORKLOAD, r.get().workload());
        }
        if (r.get().service() != null) {
            b.put(Attr.PEER_SERVICE, r.get().service());
        }
        return b.build();
    }
}
