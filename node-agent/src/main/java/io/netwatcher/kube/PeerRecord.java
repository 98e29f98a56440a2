package io.netwatcher.kube;

/**
 * What an IP address is in the cluster: a pod (namespace, name, its workload) or a Service
 * (namespace, service name; {@code name} null).
 */
public record PeerRecord(String namespace, String name, String workload, String workloadKind, String service) {
}
