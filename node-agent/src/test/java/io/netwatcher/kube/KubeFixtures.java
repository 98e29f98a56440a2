package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Pods, services and API servers for tests. */
public final class KubeFixtures {
    private KubeFixtures() {}

    /** A running pod of a Deployment's ReplicaSet ({@code <deployment>-<hash>}) on {@code node}. */
    public static Pod deploymentPod(String ns, String deployment, String name, String uid, String node, String ip,
                                    String container, String containerId) {
        String hash = "7c9d5f8b6";
        return new PodBuilder()
                .withNewMetadata().withNamespace(ns).withName(name).withUid(uid)
                .withLabels(Map.of("app", deployment, "pod-template-hash", hash))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet")
                        .withName(deployment + "-" + hash).withController(true).withUid("rs-" + uid).build())
                .endMetadata()
                .withNewSpec().withNodeName(node).endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP()
                .withContainerStatuses(new ContainerStatusBuilder().withName(container)
                        .withContainerID("containerd://" + containerId).build())
                .endStatus().build();
    }

    public static Pod ownedPod(String ns, String name, String uid, String node, String ownerKind, String ownerName) {
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid(uid)
                .withOwnerReferences(new OwnerReferenceBuilder().withKind(ownerKind).withName(ownerName)
                        .withController(true).build())
                .endMetadata().withNewSpec().withNodeName(node).endSpec().build();
    }

    public static Service service(String ns, String name, String clusterIp) {
        return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withClusterIP(clusterIp).withClusterIPs(List.of(clusterIp)).endSpec().build();
    }

    /** An API server in CRUD mode on loopback (port 0 = any). */
    public static KubernetesMockServer crudServer(int port) {
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        s.init(InetAddress.getLoopbackAddress(), port);
        return s;
    }

    public static String containerId(int n) {
        return String.format("%064x", n * 0x9E3779B97F4A7C15L & Long.MAX_VALUE).substring(0, 48) + String.format("%016x", n);
    }

    /** A fresh 64-hex-digit container id, as runtimes make them. */
    public static String randomContainerId() {
        return (java.util.UUID.randomUUID().toString() + java.util.UUID.randomUUID()).replace("-", "");
    }
}
