package io.netwatcher.kube;

import java.util.List;
import java.util.Map;

/**
 * What the agent keeps of a pod: enough to label events, nothing else (no spec, no managed
 * fields, no annotations). {@code containers} maps runtime container IDs (without the
 * {@code containerd://} scheme) to container names.
 */
public record PodRecord(String namespace, String name, String uid, String workload, String workloadKind,
                        boolean hostNetwork, List<String> ips, Map<String, String> containers, String resourceVersion) {
    public PodRecord {
        ips = List.copyOf(ips);
        containers = Map.copyOf(containers);
    }
}
