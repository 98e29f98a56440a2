package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.netwatcher.event.Who;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cluster-wide address book: pod IP -> pod (namespace, name, workload) and Service ClusterIP ->
 * service, so a connection says which pod or service it talks to. Both informers keep compact
 * records only (no full objects): a few hundred bytes per pod.
 */
public final class ClusterIndex implements AutoCloseable {
    static final String PODS = "cluster-pods";
    static final String SERVICES = "services";

    /** A pod as the address book keeps it. */
    record PodEntry(Who.Peer peer, long rv, String rvText, List<String> ips, boolean hostNetwork) {
        String resourceVersion() {
            return new ResourceVersion(rv, rvText).toString();
        }
    }

    /** A service as the address book keeps it. */
    record ServiceEntry(Who.Peer peer, long rv, String rvText, List<String> ips) {
        String resourceVersion() {
            return new ResourceVersion(rv, rvText).toString();
        }
    }

    private final Map<IpKey, Who.Peer> pods = new ConcurrentHashMap<>();
    private final Map<IpKey, Who.Peer> services = new ConcurrentHashMap<>();
    private SharedIndexInformer<Pod> podInformer;
    private SharedIndexInformer<Service> serviceInformer;

    void start(KubernetesClient client, Informers informers) {
        podInformer = informers.start(PODS, client.pods().inAnyNamespace(),
                new CompactStore<Pod, PodEntry>(ClusterIndex::podEntry, ClusterIndex::pod), podHandler());
        serviceInformer = informers.start(SERVICES, client.services().inAnyNamespace(),
                new CompactStore<Service, ServiceEntry>(ClusterIndex::serviceEntry, ClusterIndex::service),
                serviceHandler());
    }

    ResourceEventHandler<Pod> podHandler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                putPod(p);
            }

            @Override
            public void onUpdate(Pod old, Pod p) {
                if (old != null) {
                    removePod(old);
                }
                putPod(p);
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                removePod(p);
            }
        };
    }

    ResourceEventHandler<Service> serviceHandler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(Service s) {
                putService(s);
            }

            @Override
            public void onUpdate(Service old, Service s) {
                if (old != null) {
                    removeService(old);
                }
                putService(s);
            }

            @Override
            public void onDelete(Service s, boolean unknown) {
                removeService(s);
            }
        };
    }

    /** Indexes a pod's IPs (host-network pods share the node's IP and are not indexed). */
    public void putPod(Pod p) {
        PodEntry e = podEntry(p);
        if (e.hostNetwork()) {
            return;
        }
        for (String ip : e.ips()) {
            IpKey k = IpKey.parse(ip);
            if (k != null) {
                pods.put(k, e.peer());
            }
        }
    }

    public void removePod(Pod p) {
        String ns = p.getMetadata().getNamespace();
        String name = p.getMetadata().getName();
        for (String ip : ips(p)) {
            IpKey k = IpKey.parse(ip);
            if (k != null) {
                pods.computeIfPresent(k, (key, v) -> v.namespace().equals(ns) && v.name().equals(name) ? null : v);
            }
        }
    }

    public void putService(Service s) {
        ServiceEntry e = serviceEntry(s);
        for (String ip : e.ips()) {
            IpKey k = IpKey.parse(ip);
            if (k != null) {
                services.put(k, e.peer());
            }
        }
    }

    public void removeService(Service s) {
        String ns = s.getMetadata().getNamespace();
        String name = s.getMetadata().getName();
        for (String ip : serviceIps(s)) {
            IpKey k = IpKey.parse(ip);
            if (k != null) {
                services.computeIfPresent(k, (key, v) -> v.namespace().equals(ns) && name.equals(v.service()) ? null
                        : v);
            }
        }
    }

    /** The pod, else the service, at this address. */
    public Optional<Who.Peer> peer(long hi, long lo) {
        IpKey k = new IpKey(hi, lo);
        Who.Peer p = pods.get(k);
        return Optional.ofNullable(p != null ? p : services.get(k));
    }

    public int podAddresses() {
        return pods.size();
    }

    public int serviceAddresses() {
        return services.size();
    }

    public boolean hasSynced() {
        return podInformer != null && podInformer.hasSynced() && serviceInformer != null
                && serviceInformer.hasSynced();
    }

    SharedIndexInformer<Pod> podInformer() {
        return podInformer;
    }

    SharedIndexInformer<Service> serviceInformer() {
        return serviceInformer;
    }

    static PodEntry podEntry(Pod p) {
        Optional<Workloads.Workload> w = Workloads.of(p, null);
        Who.Peer peer = new Who.Peer(Strings.intern(p.getMetadata().getNamespace()), p.getMetadata().getName(),
                w.map(Workloads.Workload::name).map(Strings::intern).orElse(null),
                w.map(Workloads.Workload::kind).map(Strings::intern).orElse(null), null);
        boolean hostNetwork = p.getSpec() != null && Boolean.TRUE.equals(p.getSpec().getHostNetwork());
        ResourceVersion rv = ResourceVersion.of(p.getMetadata().getResourceVersion());
        return new PodEntry(peer, rv.number(), rv.text(), List.copyOf(ips(p)), hostNetwork);
    }

    static Pod pod(PodEntry e) {
        List<PodIP> ips = new ArrayList<>();
        for (String ip : e.ips()) {
            ips.add(new PodIPBuilder().withIp(ip).build());
        }
        return new PodBuilder().withMetadata(new ObjectMetaBuilder().withNamespace(e.peer().namespace())
                        .withName(e.peer().name()).withResourceVersion(e.resourceVersion()).build())
                .withStatus(new PodStatusBuilder().withPodIPs(ips).build()).build();
    }

    static List<String> ips(Pod p) {
        List<String> out = new ArrayList<>();
        if (p.getStatus() == null) {
            return out;
        }
        if (p.getStatus().getPodIPs() != null) {
            for (PodIP ip : p.getStatus().getPodIPs()) {
                out.add(ip.getIp());
            }
        }
        if (out.isEmpty() && p.getStatus().getPodIP() != null) {
            out.add(p.getStatus().getPodIP());
        }
        return out;
    }

    static ServiceEntry serviceEntry(Service s) {
        Who.Peer peer = new Who.Peer(Strings.intern(s.getMetadata().getNamespace()), null, null, null,
                s.getMetadata().getName());
        ResourceVersion rv = ResourceVersion.of(s.getMetadata().getResourceVersion());
        return new ServiceEntry(peer, rv.number(), rv.text(), List.copyOf(serviceIps(s)));
    }

    static Service service(ServiceEntry e) {
        return new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withNamespace(e.peer().namespace())
                        .withName(e.peer().service()).withResourceVersion(e.resourceVersion()).build())
                .withSpec(new ServiceSpecBuilder().withClusterIPs(e.ips()).build()).build();
    }

    static List<String> serviceIps(Service s) {
        List<String> out = new ArrayList<>();
        if (s.getSpec() == null) {
            return out;
        }
        if (s.getSpec().getClusterIPs() != null) {
            out.addAll(s.getSpec().getClusterIPs());
        } else if (s.getSpec().getClusterIP() != null) {
            out.add(s.getSpec().getClusterIP());
        }
        out.removeIf(ip -> ip == null || ip.isEmpty() || ip.equals("None"));
        return out;
    }

    @Override
    public void close() {
        if (podInformer != null) {
            podInformer.close();
        }
        if (serviceInformer != null) {
            serviceInformer.close();
        }
    }
}
