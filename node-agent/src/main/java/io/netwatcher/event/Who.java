package io.netwatcher.event;

/**
 * Who an event (or a cgroup's kernel aggregates) belongs to, resolved once (identity
 * .IdentityResolver) and rendered by every output: the socket's or process's cgroup, the pod and
 * container in it (Kubernetes mode), what is at the other end, and the node.
 *
 * @param cgroupId   the cgroup v2 id, 0 when unknown
 * @param cgroupPath its path under the cgroup2 mount, null when unknown
 * @param pod        the pod, null when the event is no pod's (host processes, standalone mode)
 * @param peer       the pod or Service at the other end, null when unknown (or not asked: per-cgroup aggregates)
 * @param node       this node's name in Kubernetes mode, null standalone
 */
public record Who(long cgroupId, String cgroupPath, Pod pod, Peer peer, String node) {
    /** Nothing known. */
    public static final Who NONE = new Who(0, null, null, null, null);

    /** Only the cgroup id known. */
    public static Who ofCgroup(long cgroupId) {
        return cgroupId == 0 ? NONE : new Who(cgroupId, null, null, null, null);
    }

    /**
     * A container of a pod on this node.
     *
     * @param container    the container's name, null when only the pod is known (pod-level cgroup, address)
     * @param workload     the owning workload (e.g. the Deployment), null when none
     * @param workloadKind its kind (Deployment, StatefulSet, DaemonSet, Job, CronJob, ...), null when none
     */
    public record Pod(String namespace, String name, String uid, String container, String workload,
                      String workloadKind) {
    }

    /**
     * What an address is in the cluster: a pod (namespace, name, its workload) or a Service
     * (namespace, service name; {@code name} null).
     */
    public record Peer(String namespace, String name, String workload, String workloadKind, String service) {
    }

    /** Labelled by a pod or a cgroup path (a cgroup that went away is neither). */
    public boolean isLabelled() {
        return pod != null || cgroupPath != null;
    }
}
