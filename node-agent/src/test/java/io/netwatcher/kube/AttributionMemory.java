package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.lang.management.ManagementFactory;

/**
 * Memory of the pod caches as the agent holds them: 10,000 pods on the node (informer store +
 * indexes) and 100,000 pods and 5,000 services cluster-wide (compact informer stores + address
 * book), filled through the same stores and handlers the informers use. Prints the heap retained
 * (used heap after full collections, minus the baseline).
 *
 * <pre>bench/attribution.sh</pre>
 */
public final class AttributionMemory {
    private AttributionMemory() {}

    static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(200);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    public static void main(String[] args) throws Exception {
        int nodePods = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int clusterPods = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int services = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
        long before = usedAfterGc();

        NodePods pods = new NodePods(null);
        var nodeStore = new CompactStore<Pod, Object>(p -> java.util.List.of(p.getMetadata().getNamespace(),
                p.getMetadata().getName(), p.getMetadata().getUid(), p.getMetadata().getResourceVersion()), o -> null);
        for (int n = 0; n < nodePods; n++) {
            Pod p = KubeFixtures.deploymentPod("ns" + (n % 50), "app" + (n % 500), "app" + (n % 500) + "-7c9d5f8b6-"
                    + String.format("%05d", n), AttributionBenchmark.uid(n), "node", AttributionBenchmark.ip(n), "c",
                    KubeFixtures.containerId(n + 1));
            p.getMetadata().setResourceVersion(Integer.toString(1_000_000 + n));
            nodeStore.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p);
            pods.put(p);
        }
        long afterNode = usedAfterGc();

        ClusterIndex cluster = new ClusterIndex();
        var podStore = new CompactStore<Pod, ClusterIndex.PodEntry>(ClusterIndex::podEntry, ClusterIndex::pod);
        for (int n = 0; n < clusterPods; n++) {
            Pod p = KubeFixtures.deploymentPod("ns" + (n % 50), "app" + (n % 5000), "app" + (n % 5000) + "-7c9d5f8b6-"
                    + String.format("%05d", n), "c" + n, "other", AttributionBenchmark.ip(nodePods + n), "c",
                    KubeFixtures.containerId(nodePods + n + 1));
            p.getMetadata().setResourceVersion(Integer.toString(2_000_000 + n));
            podStore.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p);
            cluster.putPod(p);
        }
        var svcStore = new CompactStore<Service, ClusterIndex.ServiceEntry>(ClusterIndex::serviceEntry,
                ClusterIndex::service);
        for (int n = 0; n < services; n++) {
            Service s = KubeFixtures.service("ns" + (n % 50), "svc-" + n, "172.16." + (n >> 8) + "." + (n & 255));
            s.getMetadata().setResourceVersion(Integer.toString(3_000_000 + n));
            svcStore.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
            cluster.putService(s);
        }
        long after = usedAfterGc();
        System.out.printf("node pods %d: %.1f MiB; cluster pods %d + services %d: %.1f MiB; total %.1f MiB%n",
                pods.size(), (afterNode - before) / 1048576.0, cluster.podAddresses(), cluster.serviceAddresses(),
                (after - afterNode) / 1048576.0, (after - before) / 1048576.0);
        // Keep everything reachable until measured.
        if (nodeStore.size() + podStore.size() + svcStore.size() < 0) {
            System.out.println(pods);
        }
    }
}
