package io.netwatcher.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.netwatcher.cgroup.CgroupPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent as a node-scoped Kubernetes citizen: one client, three informers (this node's
 * pods; all pods and services, as an address book), their health, and the attribution built on
 * them. Starting never blocks on the API server: until the caches sync, events are labelled by
 * cgroup and process only.
 */
public final class KubeContext implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubeContext.class);

    private final String node;
    private final KubernetesClient client;
    private final KubeHealth health = new KubeHealth();
    private final NodePods nodePods;
    private final ClusterIndex cluster = new ClusterIndex();
    private final PodAttribution attribution;
    private final Informers informers = new Informers(health);
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "nw-kube-health");
        t.setDaemon(true);
        return t;
    });

    private KubeContext(String node, KubernetesClient client, CgroupPaths cgroups) {
        this.node = node;
        this.client = client;
        this.nodePods = new NodePods(new ApiOwnerLookup(client));
        this.attribution = new PodAttribution(nodePods, cluster, cgroups, Path.of("/proc"));
    }

    /**
     * Client configuration: the kubeconfig file when given, else the usual discovery (in-cluster
     * service account, KUBECONFIG, ~/.kube/config).
     */
    public static Config config(Path kubeconfig) throws IOException {
        if (kubeconfig != null) {
            return Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        }
        return Config.autoConfigure(null);
    }

    /**
     * Why the kubeconfig file at {@code path} cannot be used (one line), or null: it must parse
     * and name a current context.
     */
    public static String kubeconfigProblem(Path path) {
        try {
            Config c = config(path);
            return c.getCurrentContext() == null ? "names no current-context" : null;
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
            return "is not a usable kubeconfig: " + why;
        }
    }

    /** Connects and starts the informers (without waiting for them). */
    public static KubeContext start(Config config, String node, CgroupPaths cgroups) {
        return start(config, node, cgroups, NodePods.Selection.FIELD_SELECTOR);
    }

    /** As {@link #start(Config, String, CgroupPaths)}, choosing how this node's pods are selected. */
    public static KubeContext start(Config config, String node, CgroupPaths cgroups, NodePods.Selection selection) {
        config.setRequestTimeout(10_000);
        config.setConnectionTimeout(5_000);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config)
                .withKubernetesSerialization(serialization()).build();
        KubeContext k = new KubeContext(node, client, cgroups);
        k.nodePods.start(client, node, k.informers, selection);
        k.cluster.start(client, k.informers);
        k.watchdog.scheduleWithFixedDelay(k::checkWatches, 2, 2, TimeUnit.SECONDS);
        LOG.info("kubernetes mode: node {}, API server {}", node, config.getMasterUrl());
        return k;
    }

    /** The kinds the agent reads, and the kinds of the objects that come back in their place. */
    static final List<Class<? extends KubernetesResource>> KINDS = List.of(Pod.class, PodList.class, Service.class,
            ServiceList.class, ReplicaSet.class, Job.class, Status.class);

    /**
     * The client's JSON mapping, knowing the kinds the agent reads. fabric8's default mapping
     * instantiates every model class on the class path (about 320 kinds, 630 classes, 5.6 MiB of
     * metaspace) to resolve the "kind" of watch events, in every agent that does not read a
     * kubeconfig file (in a pod; fabric8 parses a kubeconfig file with its default mapping). A kind
     * not listed here is read as a GenericKubernetesResource.
     */
    static KubernetesSerialization serialization() {
        KubernetesSerialization s = new KubernetesSerialization(new ObjectMapper(), false);
        KINDS.forEach(s::registerKubernetesResource);
        return s;
    }

    private void checkWatches() {
        try {
            informers.refresh(NodePods.WATCH, nodePodsInformer());
            informers.refresh(ClusterIndex.PODS, cluster.podInformer());
            informers.refresh(ClusterIndex.SERVICES, cluster.serviceInformer());
        } catch (RuntimeException e) {
            LOG.debug("watch check failed", e);
        }
    }

    private SharedIndexInformer<?> nodePodsInformer() {
        return nodePods.informer();
    }

    public String node() {
        return node;
    }

    public KubeHealth health() {
        return health;
    }

    public NodePods nodePods() {
        return nodePods;
    }

    public ClusterIndex cluster() {
        return cluster;
    }

    public PodAttribution attribution() {
        return attribution;
    }

    /**
     * Every watch is synced and watching: false before the first sync and while the API server is
     * unreachable (the caches then age).
     */
    public boolean synced() {
        return health.synced();
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        nodePods.close();
        cluster.close();
        client.close();
    }
}
