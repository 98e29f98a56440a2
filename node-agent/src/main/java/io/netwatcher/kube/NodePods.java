package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pods scheduled on this node (an informer with the field selector
 * {@code spec.nodeName=<node>}), indexed by pod UID, container ID and pod IP. The informer keeps
 * only (name, namespace, uid, resourceVersion) per pod; the indexes keep a {@link PodRecord}.
 */
public final class NodePods implements AutoCloseable {
    static final String WATCH = "node-pods";

    /** A container of a pod on this node. */
    public record ContainerRef(PodRecord pod, String container) {
    }

    private record Meta(String namespace, String name, String uid, String resourceVersion) {
    }

    private final Map<String, PodRecord> byUid = new ConcurrentHashMap<>();
    private final Map<String, ContainerRef> byContainer = new ConcurrentHashMap<>();
    private final Map<IpKey, PodRecord> byIp = new ConcurrentHashMap<>();
    private final Workloads.OwnerLookup lookup;
    private SharedIndexInformer<Pod> informer;

    NodePods(Workloads.OwnerLookup lookup) {
        this.lookup = lookup;
    }

    /** How the pods of this node are selected. */
    public enum Selection {
        /** The API server filters ({@code fieldSelector=spec.nodeName=<node>}): production. */
        FIELD_SELECTOR,
        /** All pods are watched and the agent keeps this node's (for API servers without field selectors). */
        CLIENT_FILTER
    }

    private String node;

    /** The field selector this informer uses. */
    static Map<String, String> fieldSelector(String nodeName) {
        return Map.of("spec.nodeName", nodeName);
    }

    void start(KubernetesClient client, String nodeName, Informers informers, Selection selection) {
        this.node = nodeName;
        var pods = client.pods().inAnyNamespace();
        informer = informers.start(WATCH, selection == Selection.FIELD_SELECTOR ? pods.withFields(fieldSelector(nodeName))
                        : pods,
                new CompactStore<Pod, Meta>(p -> new Meta(p.getMetadata().getNamespace(), p.getMetadata().getName(),
                        p.getMetadata().getUid(), p.getMetadata().getResourceVersion()),
                        m -> new PodBuilder().withMetadata(new ObjectMetaBuilder().withNamespace(m.namespace())
                                .withName(m.name()).withUid(m.uid()).withResourceVersion(m.resourceVersion()).build())
                                .build()),
                handler());
    }

    ResourceEventHandler<Pod> handler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                put(pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                put(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                remove(pod.getMetadata().getUid());
            }
        };
    }

    /** Adds or replaces a pod (from the informer, or directly in tests and benchmarks). */
    public void put(Pod pod) {
        if (node != null && pod.getSpec() != null && pod.getSpec().getNodeName() != null
                && !node.equals(pod.getSpec().getNodeName())) {
            remove(pod.getMetadata().getUid()); // another node's pod (client-side selection)
            return;
        }
        PodRecord rec = record(pod, lookup);
        PodRecord old = byUid.put(rec.uid(), rec);
        if (old != null) {
            unindex(old);
        }
        for (Map.Entry<String, String> c : rec.containers().entrySet()) {
            byContainer.put(c.getKey(), new ContainerRef(rec, c.getValue()));
        }
        if (!rec.hostNetwork()) {
            for (String ip : rec.ips()) {
                IpKey k = IpKey.parse(ip);
                if (k != null) {
                    byIp.put(k, rec);
                }
            }
        }
    }

    /** Removes a pod by UID (deleted). */
    public void remove(String uid) {
        PodRecord old = uid == null ? null : byUid.remove(uid);
        if (old != null) {
            unindex(old);
        }
    }

    private void unindex(PodRecord old) {
        for (String id : old.containers().keySet()) {
            byContainer.computeIfPresent(id, (k, v) -> v.pod().uid().equals(old.uid()) ? null : v);
        }
        for (String ip : old.ips()) {
            IpKey k = IpKey.parse(ip);
            if (k != null) {
                byIp.computeIfPresent(k, (key, v) -> v.uid().equals(old.uid()) ? null : v);
            }
        }
    }

    public Optional<PodRecord> byUid(String uid) {
        return Optional.ofNullable(byUid.get(uid));
    }

    public Optional<ContainerRef> byContainerId(String id) {
        return Optional.ofNullable(byContainer.get(id));
    }

    public Optional<PodRecord> byIp(long hi, long lo) {
        return Optional.ofNullable(byIp.get(new IpKey(hi, lo)));
    }

    public int size() {
        return byUid.size();
    }

    public boolean hasSynced() {
        return informer != null && informer.hasSynced();
    }

    SharedIndexInformer<Pod> informer() {
        return informer;
    }

    static PodRecord record(Pod pod, Workloads.OwnerLookup lookup) {
        Map<String, String> containers = new HashMap<>();
        if (pod.getStatus() != null) {
            addContainers(containers, pod.getStatus().getContainerStatuses());
            addContainers(containers, pod.getStatus().getInitContainerStatuses());
            addContainers(containers, pod.getStatus().getEphemeralContainerStatuses());
        }
        List<String> ips = new ArrayList<>();
        if (pod.getStatus() != null && pod.getStatus().getPodIPs() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs()) {
                ips.add(ip.getIp());
            }
        }
        if (ips.isEmpty() && pod.getStatus() != null && pod.getStatus().getPodIP() != null) {
            ips.add(pod.getStatus().getPodIP());
        }
        Optional<Workloads.Workload> w = Workloads.of(pod, lookup);
        boolean hostNetwork = pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
        return new PodRecord(Strings.intern(pod.getMetadata().getNamespace()), pod.getMetadata().getName(),
                pod.getMetadata().getUid(), w.map(Workloads.Workload::name).map(Strings::intern).orElse(null),
                w.map(Workloads.Workload::kind).map(Strings::intern).orElse(null), hostNetwork, ips, containers,
                pod.getMetadata().getResourceVersion());
    }

    private static void addContainers(Map<String, String> out, List<ContainerStatus> statuses) {
        if (statuses == null) {
            return;
        }
        for (ContainerStatus s : statuses) {
            String id = containerId(s.getContainerID());
            if (id != null) {
                out.put(id, s.getName());
            }
        }
    }

    /** "containerd://abc..." -> "abc..." */
    static String containerId(String withScheme) {
        if (withScheme == null || withScheme.isEmpty()) {
            return null;
        }
        int i = withScheme.indexOf("://");
        return i < 0 ? withScheme : withScheme.substring(i + 3);
    }

    @Override
    public void close() {
        if (informer != null) {
            informer.close();
        }
    }
}
