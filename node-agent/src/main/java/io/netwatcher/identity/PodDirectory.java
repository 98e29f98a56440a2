package io.netwatcher.identity;

import io.netwatcher.event.Who;
import java.util.Optional;

/**
 * The pods the agent knows (Kubernetes mode: kube.PodAttribution over the API server's
 * pods and services). Addresses are two longs, IPv4 mapped into IPv6 (as event tuples carry them).
 */
public interface PodDirectory {
    /** The pod (and container) a cgroup v2 id belongs to. */
    Optional<Who.Pod> byCgroup(long cgroupId);

    /** The pod of a process. */
    Optional<Who.Pod> byPid(int pid);

    /** A pod of this node with this address (not host-network). */
    Optional<Who.Pod> onNode(long hi, long lo);

    /** What is at this address in the cluster: a pod, else a Service. */
    Optional<Who.Peer> peer(long hi, long lo);
}
