package io.netwatcher.kube;

import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.Tuple;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.output.Json;
import io.netwatcher.output.Labels;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Labels events with Kubernetes identity: {@code node}; {@code pod} (namespace, name, uid,
 * container, workload, workload_kind; null when the socket or process is not a pod's) and
 * {@code peer} (the pod or Service at the other end, when known). Everything else (cgroup path,
 * drop reasons, kernel symbols) comes from the host labels, so unresolved events keep them.
 */
public final class KubeLabels implements Labels {
    private final Labels host;
    private final PodAttribution attribution;
    private final String node;

    public KubeLabels(Labels host, PodAttribution attribution, String node) {
        this.host = host;
        this.attribution = attribution;
        this.node = node;
    }

    /** The pod an event belongs to: by its socket's cgroup, else its process, else (drops) its address. */
    public Optional<PodAttribution.PodHit> pod(Event e) {
        Optional<PodAttribution.PodHit> hit = attribution.byCgroup(e.cgroupId());
        if (hit.isEmpty() && e.pid() != 0) {
            hit = attribution.byPid(e.pid());
        }
        if (hit.isEmpty() && isWireOrder(e)) {
            Tuple t = e.tuple();
            Optional<PodRecord> p = attribution.nodePodByIp(t.dstHi(), t.dstLo())
                    .or(() -> attribution.nodePodByIp(t.srcHi(), t.srcLo()));
            hit = p.map(r -> new PodAttribution.PodHit(r, null));
        }
        return hit;
    }

    /** Whether an event is reported: its pod's namespace (none for host traffic) is in the scope. */
    public Predicate<Event> inScope(NamespaceScope scope) {
        return e -> scope.admits(pod(e).map(h -> h.pod().namespace()).orElse(null));
    }

    /** What is at the other end of the event's socket (or packet), when known. */
    public Optional<PeerRecord> peer(Event e, Optional<PodAttribution.PodHit> pod) {
        Tuple t = e.tuple();
        if (!t.isKnown()) {
            return Optional.empty();
        }
        if (isWireOrder(e)) {
            // A drop carries the packet's own endpoints: the peer is the end that is not the pod.
            boolean srcIsLocal = pod.isPresent() && attribution.nodePodByIp(t.srcHi(), t.srcLo())
                    .map(r -> r.uid().equals(pod.get().pod().uid())).orElse(false);
            return srcIsLocal ? attribution.peer(t.dstHi(), t.dstLo()) : attribution.peer(t.srcHi(), t.srcLo());
        }
        return attribution.peer(t.dstHi(), t.dstLo()); // local first: dst is the remote end
    }

    private static boolean isWireOrder(Event e) {
        return e instanceof ErrorEvent x && x.kind().senderFirst();
    }

    @Override
    public void decorate(Event e, Json json) {
        json.field("node", node);
        Optional<PodAttribution.PodHit> hit = pod(e);
        if (hit.isPresent()) {
            PodRecord p = hit.get().pod();
            Json o = json.object("pod");
            o.field("namespace", p.namespace()).field("name", p.name()).field("uid", p.uid())
                    .field("container", hit.get().container()).field("workload", p.workload())
                    .field("workload_kind", p.workloadKind());
            o.end();
        } else {
            json.nullField("pod");
        }
        Optional<PeerRecord> peer = peer(e, hit);
        if (peer.isPresent()) {
            PeerRecord r = peer.get();
            Json o = json.object("peer");
            o.field("namespace", r.namespace());
            if (r.name() != null) {
                o.field("name", r.name());
            }
            if (r.workload() != null) {
                o.field("workload", r.workload()).field("workload_kind", r.workloadKind());
            }
            if (r.service() != null) {
                o.field("service", r.service());
            }
            o.end();
        }
    }

    @Override
    public String cgroupPath(long cgroupId) {
        return host.cgroupPath(cgroupId);
    }

    @Override
    public String dropReason(int reason) {
        return host.dropReason(reason);
    }

    @Override
    public String kernelSymbol(long address) {
        return host.kernelSymbol(address);
    }
}
