package io.netwatcher.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.kube.KubeContext;
import io.netwatcher.kube.KubeFixtures;
import io.netwatcher.kube.NodePods;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A node as kubelet runs it, for integration tests: an API server (fabric8's mock, CRUD mode)
 * that knows the node's pods, kubelet-shaped cgroup v2 directories for their containers (real
 * processes can run in them), and the agent's Kubernetes context and identity resolver over both.
 * Everything is removed again by {@link #close()} (cgroups once their processes have exited).
 */
public final class KubeNode implements AutoCloseable {
    /** How kubelet names a container's cgroup: its cgroup driver and the pod's QoS class. */
    public enum Layout {
        /** systemd driver, containerd: {@code kubepods.slice/kubepods-burstable.slice/...-pod<uid>.slice/cri-containerd-<id>.scope} */
        SYSTEMD_BURSTABLE,
        /** cgroupfs driver: {@code kubepods/burstable/pod<uid>/<id>} */
        CGROUPFS_BURSTABLE,
        /** cgroupfs driver: {@code kubepods/besteffort/pod<uid>/<id>} */
        CGROUPFS_BESTEFFORT;

        String path(String uid, String containerId) {
            return switch (this) {
                case SYSTEMD_BURSTABLE -> "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
                        + uid.replace('-', '_') + ".slice/cri-containerd-" + containerId + ".scope";
                case CGROUPFS_BURSTABLE -> "kubepods/burstable/pod" + uid + "/" + containerId;
                case CGROUPFS_BESTEFFORT -> "kubepods/besteffort/pod" + uid + "/" + containerId;
            };
        }
    }

    /** A pod the API server knows, with its container's cgroup. */
    public record PodOnNode(String name, String uid, String containerId, Path cgroup) {
        /** The cgroup id (inode) of the container's cgroup. */
        public long cgroupId() throws IOException {
            return Cgroups.id(cgroup);
        }
    }

    private final String node;
    private final KubernetesMockServer api;
    private final KubernetesClient admin;
    private final Cgroups cgroups;
    private KubeContext kube;

    private KubeNode(String node) {
        this.node = node;
        this.api = KubeFixtures.crudServer(0);
        KubernetesClient client = null;
        Cgroups cg = null;
        try {
            client = api.createClient();
            cg = new Cgroups();
        } catch (RuntimeException e) {
            if (client != null) {
                client.close();
            }
            api.destroy();
            throw e;
        }
        this.admin = client;
        this.cgroups = cg;
    }

    /** An API server for node {@code node}, no pods yet. */
    public static KubeNode start(String node) {
        return new KubeNode(node);
    }

    public String node() {
        return node;
    }

    /** A client with every right, to create and delete what the test needs. */
    public KubernetesClient admin() {
        return admin;
    }

    public Cgroups cgroups() {
        return cgroups;
    }

    /**
     * A running pod of a Deployment on this node ({@code <deployment>-<hash>-<suffix>}) with one
     * container, and the container's cgroup in {@code layout}.
     */
    public PodOnNode deploymentPod(String namespace, String deployment, String name, String ip, String container,
                                   Layout layout) throws IOException {
        String cid = KubeFixtures.randomContainerId();
        String uid = admin.pods().resource(KubeFixtures.deploymentPod(namespace, deployment, name, "x", node, ip,
                container, cid)).create().getMetadata().getUid();
        return new PodOnNode(name, uid, cid, cgroups.create(layout.path(uid, cid)));
    }

    /** The client configuration of the API server. */
    public Config config() {
        try (KubernetesClient c = api.createClient()) {
            return c.getConfiguration();
        }
    }

    /**
     * The agent's Kubernetes context for this node (started on first call): its informers select
     * the node's pods in the client (the mock server ignores field selectors), and cgroup paths
     * are rescanned on every miss.
     */
    public synchronized KubeContext kube() {
        if (kube == null) {
            kube = KubeContext.start(config(), node, new CgroupPaths(cgroups.root(), 0, System::nanoTime),
                    NodePods.Selection.CLIENT_FILTER);
        }
        return kube;
    }

    /** Who events belong to on this node: cgroup paths, the context's pods, every namespace. */
    public IdentityResolver identity() {
        return new IdentityResolver(IdentityResolver.paths(new CgroupPaths(cgroups.root())), kube().attribution(), node,
                NamespaceScope.ALL);
    }

    @Override
    public synchronized void close() {
        try {
            if (kube != null) {
                kube.close();
            }
        } finally {
            admin.close();
            cgroups.close();
            api.destroy();
        }
    }
}
