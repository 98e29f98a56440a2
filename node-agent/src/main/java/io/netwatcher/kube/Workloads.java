package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves a pod to the workload that owns it: Deployment (through its ReplicaSet), StatefulSet,
 * DaemonSet, CronJob (through its Job), Job, ReplicaSet, ReplicationController, or another owner.
 * A ReplicaSet named {@code <deployment>-<pod-template-hash>} is a Deployment's without asking
 * the API; otherwise {@link OwnerLookup} (when given) reads the ReplicaSet's or Job's owner.
 */
public final class Workloads {
    /** A workload: name and kind, e.g. ("checkout", "Deployment"). */
    public record Workload(String name, String kind) {
    }

    /** Reads the controller of an object (cached by the implementation); empty when unknown. */
    @FunctionalInterface
    public interface OwnerLookup {
        Optional<OwnerReference> controllerOf(String kind, String namespace, String name);
    }

    private Workloads() {}

    /** The pod's workload, or empty for a bare pod. */
    public static Optional<Workload> of(Pod pod, OwnerLookup lookup) {
        OwnerReference owner = controller(pod.getMetadata().getOwnerReferences());
        if (owner == null) {
            return Optional.empty();
        }
        String ns = pod.getMetadata().getNamespace();
        switch (owner.getKind()) {
            case "ReplicaSet": {
                Map<String, String> labels = pod.getMetadata().getLabels();
                String hash = labels == null ? null : labels.get("pod-template-hash");
                String rs = owner.getName();
                if (hash != null && rs.endsWith("-" + hash) && rs.length() > hash.length() + 1) {
                    return Optional.of(new Workload(rs.substring(0, rs.length() - hash.length() - 1), "Deployment"));
                }
                return Optional.of(viaLookup(lookup, "ReplicaSet", ns, rs));
            }
            case "Job":
                return Optional.of(viaLookup(lookup, "Job", ns, owner.getName()));
            default:
                return Optional.of(new Workload(owner.getName(), owner.getKind()));
        }
    }

    private static Workload viaLookup(OwnerLookup lookup, String kind, String ns, String name) {
        if (lookup != null) {
            Optional<OwnerReference> up = lookup.controllerOf(kind, ns, name);
            if (up.isPresent()) {
                return new Workload(up.get().getName(), up.get().getKind());
            }
        }
        return new Workload(name, kind);
    }

    /** The controlling owner (controller: true), else the first owner. */
    static OwnerReference controller(List<OwnerReference> refs) {
        if (refs == null || refs.isEmpty()) {
            return null;
        }
        for (OwnerReference r : refs) {
            if (Boolean.TRUE.equals(r.getController())) {
                return r;
            }
        }
        return refs.get(0);
    }
}
