package io.netwatcher.identity;

import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.NetfilterEvent;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;

/**
 * Resolves who an event belongs to, once per event, for every output, and applies the namespace
 * scope (the only place it is applied). The same order everywhere:
 * <ul>
 *   <li>an event: its pod by the socket's cgroup, else by its process, else (events that carry the
 *       packet's own endpoints, sender first: drops, bad checksums) by the address of a pod on this
 *       node; its peer by the other end's address. An ICMP event of the kernel's own (an echo it
 *       answered) has no socket: its cgroup is that of its network namespace;</li>
 *   <li>a cgroup's kernel aggregates (histograms, counters: no event, no process, no address): its
 *       pod by the cgroup only.</li>
 * </ul>
 * Standalone (no pods), an event is labelled by its cgroup path only.
 */
public final class IdentityResolver {
    private final LongFunction<String> cgroups;
    private final PodDirectory pods;
    private final String node;
    private final NamespaceScope scope;
    private final LongUnaryOperator netnsCgroups;

    /**
     * @param cgroups the path of a cgroup id, null when unknown
     * @param pods    the pods (null: standalone)
     * @param node    this node's name in Kubernetes mode (null standalone)
     */
    public IdentityResolver(LongFunction<String> cgroups, PodDirectory pods, String node, NamespaceScope scope) {
        this(cgroups, pods, node, scope, netns -> NetnsCgroups.UNKNOWN);
    }

    /**
     * @param netnsCgroups the cgroup of a network namespace inode (0 for the host's,
     *                     {@link NetnsCgroups#UNKNOWN} when none), for what the kernel saw with no
     *                     socket ({@link NetnsCgroups})
     */
    public IdentityResolver(LongFunction<String> cgroups, PodDirectory pods, String node, NamespaceScope scope,
                            LongUnaryOperator netnsCgroups) {
        this.cgroups = Objects.requireNonNull(cgroups, "cgroups");
        this.pods = pods;
        this.node = node;
        this.scope = Objects.requireNonNull(scope, "scope");
        this.netnsCgroups = Objects.requireNonNull(netnsCgroups, "netnsCgroups");
    }

    /**
     * The cgroup that stands for a network namespace (its oldest process's): 0 for the host's,
     * {@link NetnsCgroups#UNKNOWN} for a namespace no process places (gone, or not yet placed).
     */
    public long cgroupOfNetns(long netns) {
        return netnsCgroups.applyAsLong(netns);
    }

    /** The path of a cgroup id from the cgroup2 mount (none known without one). */
    public static LongFunction<String> paths(CgroupPaths cgroups) {
        return cgroups == null ? id -> null : id -> cgroups.path(id).orElse(null);
    }

    /** Standalone: cgroup paths only, every event in scope. */
    public static IdentityResolver standalone(CgroupPaths cgroups) {
        return new IdentityResolver(paths(cgroups), null, null, NamespaceScope.ALL);
    }

    /** Who the event belongs to; null when it is out of the namespace scope (not reported). */
    public Who resolve(Event e) {
        long cgroupId = cgroupOf(e);
        Who.Pod pod = pods == null ? null : pod(e, cgroupId).orElse(null);
        if (!admits(pod)) {
            return null;
        }
        return new Who(cgroupId, path(cgroupId), pod, pods == null ? null : peer(e, pod).orElse(null), node);
    }

    /**
     * The event's cgroup: its socket's, else (the kernel answered an echo; packets without a socket
     * in a netfilter hook) its network namespace's.
     */
    private long cgroupOf(Event e) {
        if (e.cgroupId() == 0 && e instanceof IcmpEvent i) {
            return Math.max(0, netnsCgroups.applyAsLong(i.netns()));
        }
        if (e.cgroupId() == 0 && e instanceof NetfilterEvent n) {
            return Math.max(0, netnsCgroups.applyAsLong(n.histogram().netns()));
        }
        return e.cgroupId();
    }

    /**
     * Who an event is when resolving it failed: its cgroup id only, or null when a namespace scope
     * is set (an event that cannot be placed in a namespace is not reported).
     */
    public Who unresolved(Event e) {
        return scope.isAll() ? Who.ofCgroup(e.cgroupId()) : null;
    }

    /** Who a cgroup's kernel aggregates belong to (by the cgroup only); null when out of the namespace scope. */
    public Who ofCgroup(long cgroupId) {
        Who.Pod pod = pods == null || cgroupId == 0 ? null : pods.byCgroup(cgroupId).orElse(null);
        if (!admits(pod)) {
            return null;
        }
        return new Who(cgroupId, path(cgroupId), pod, null, node);
    }

    private boolean admits(Who.Pod pod) {
        return scope.admits(pod == null ? null : pod.namespace());
    }

    private String path(long cgroupId) {
        return cgroupId == 0 ? null : cgroups.apply(cgroupId);
    }

    /** The pod an event belongs to: by its socket's cgroup, else its process, else (wire order) its address. */
    private Optional<Who.Pod> pod(Event e, long cgroupId) {
        Optional<Who.Pod> hit = cgroupId == 0 ? Optional.empty() : pods.byCgroup(cgroupId);
        if (hit.isEmpty() && e.pid() != 0) {
            hit = pods.byPid(e.pid());
        }
        if (hit.isEmpty() && isWireOrder(e)) {
            Tuple t = e.tuple();
            hit = pods.onNode(t.dstHi(), t.dstLo()).or(() -> pods.onNode(t.srcHi(), t.srcLo()));
        }
        return hit;
    }

    /** What is at the other end of the event's socket (or packet), when known. */
    private Optional<Who.Peer> peer(Event e, Who.Pod pod) {
        Tuple t = e.tuple();
        if (!t.isKnown()) {
            return Optional.empty();
        }
        if (isWireOrder(e)) {
            // The packet's own endpoints: the peer is the end that is not the pod.
            boolean srcIsLocal = pod != null && pods.onNode(t.srcHi(), t.srcLo())
                    .map(p -> p.uid().equals(pod.uid())).orElse(false);
            return srcIsLocal ? pods.peer(t.dstHi(), t.dstLo()) : pods.peer(t.srcHi(), t.srcLo());
        }
        return pods.peer(t.dstHi(), t.dstLo()); // local first: dst is the remote end
    }

    private static boolean isWireOrder(Event e) {
        return e instanceof ErrorEvent x && x.kind().senderFirst();
    }
}
