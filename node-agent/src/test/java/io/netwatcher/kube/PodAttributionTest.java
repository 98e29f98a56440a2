package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Tuple;
import io.netwatcher.export.Attr;
import io.netwatcher.export.Identity;
import io.netwatcher.identity.NamespaceScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolution paths without a kernel: cgroup ids as directory inodes, a fake /proc, addresses. */
class PodAttributionTest {
    private static final String UID = "5b1e3f2a-9c4d-4e8f-a1b2-0c3d4e5f6a7b";

    private static long ino(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }

    @Test
    void cgroupPidAndAddressesResolveToThePod(@TempDir Path dir) throws Exception {
        String cid = KubeFixtures.containerId(3);
        NodePods pods = new NodePods(null);
        var pod = KubeFixtures.deploymentPod("shop", "checkout", "checkout-1", UID, "n", "10.1.0.5", "app", cid);
        pods.put(pod);
        ClusterIndex cluster = new ClusterIndex();
        cluster.putPod(KubeFixtures.deploymentPod("web", "frontend", "frontend-1", "u2", "m", "10.2.0.9", "c",
                KubeFixtures.containerId(4)));

        Path root = Files.createDirectories(dir.resolve("cg"));
        Path container = Files.createDirectories(root.resolve("kubepods/burstable/pod" + UID + "/" + cid));
        Path other = Files.createDirectories(root.resolve("system.slice/sshd.service"));
        Path proc = Files.createDirectories(dir.resolve("proc/4242"));
        Files.writeString(proc.resolve("cgroup"), "0::/kubepods/burstable/pod" + UID + "/" + cid + "\n");
        PodAttribution a = new PodAttribution(pods, cluster, new CgroupPaths(root), dir.resolve("proc"));

        PodAttribution.PodHit byCg = a.byCgroup(ino(container)).orElseThrow();
        assertEquals("checkout-1", byCg.pod().name());
        assertEquals("app", byCg.container());
        assertTrue(a.byCgroup(ino(other)).isEmpty(), "not a pod's cgroup");
        assertEquals("checkout-1", a.byPid(4242).orElseThrow().pod().name());
        assertTrue(a.byPid(4243).isEmpty(), "no such process");

        IpKey web = IpKey.parse("10.2.0.9");
        assertEquals("frontend", a.peer(web.hi(), web.lo()).orElseThrow().workload());
        IpKey local = IpKey.parse("10.1.0.5");
        assertEquals("checkout-1", a.peer(local.hi(), local.lo()).orElseThrow().name(), "node pods are peers too");

        // A drop carries the packet's own endpoints: the node's pod is found by address, the peer is the other end.
        KubeLabels labels = new KubeLabels(new io.netwatcher.output.StandaloneLabels(null,
                new io.netwatcher.names.DropReasons(java.util.Map.of())), a, "n");
        ErrorEvent drop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "",
                new Tuple(Tuple.AF_INET, web.hi(), web.lo(), 40000, local.hi(), local.lo(), 8080), 12, 0, 0, 6, 0);
        var hit = labels.pod(drop);
        assertEquals("checkout-1", hit.orElseThrow().pod().name());
        assertEquals("frontend-1", labels.peer(drop, hit).orElseThrow().name());

        // Namespace scope: events and metrics of pods out of it are not reported; host traffic only
        // when no include list is given.
        NamespaceScope notShop = new NamespaceScope(Set.of(), Set.of("shop"));
        NamespaceScope onlyShop = new NamespaceScope(Set.of("shop"), Set.of());
        assertFalse(labels.inScope(notShop).test(drop));
        assertTrue(labels.inScope(onlyShop).test(drop));
        ErrorEvent hostDrop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "",
                new Tuple(Tuple.AF_INET, web.hi(), web.lo(), 40000, web.hi(), web.lo(), 8080), 12, 0, 0, 6, 0);
        assertTrue(labels.inScope(notShop).test(hostDrop));
        assertFalse(labels.inScope(onlyShop).test(hostDrop), "an include list leaves host traffic out");
        Identity all = new Identity(a, labels);
        Identity withoutShop = new Identity(a, labels, notShop);
        Identity shopOnly = new Identity(a, labels, onlyShop);
        assertEquals("checkout-1", all.of(ino(container)).get(Attr.K8S_POD));
        assertNull(withoutShop.of(ino(container)), "excluded namespace");
        assertEquals("checkout-1", shopOnly.of(ino(container)).get(Attr.K8S_POD));
        assertNotNull(withoutShop.of(ino(other)));
        assertNull(shopOnly.of(ino(other)), "host cgroup with an include list");

        pods.remove(UID);
        assertTrue(a.byCgroup(ino(container)).isEmpty(), "labels disappear with the pod");
    }

    @Test
    void aNamespaceScopeAdmitsIncludedAndNotExcludedNamespaces() {
        assertTrue(NamespaceScope.ALL.admits("kube-system"));
        assertTrue(NamespaceScope.ALL.admits(null));
        NamespaceScope s = new NamespaceScope(Set.of("shop", "web"), Set.of("web"));
        assertTrue(s.admits("shop"));
        assertFalse(s.admits("web"), "exclusion wins");
        assertFalse(s.admits("default"));
        assertFalse(s.admits(null));
    }
}
