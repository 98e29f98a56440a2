package io.netwatcher.kube;

/**
 * What a cgroup path says about a container: the pod's UID (with dashes), the container runtime's
 * ID (64 hex digits, or null for a pod-level cgroup such as the pod slice itself), and the
 * runtime when the path names it ("containerd", "cri-o", "docker", or "" for cgroupfs paths).
 */
public record ContainerCgroup(String podUid, String containerId, String runtime) {
}
