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
import io.netwatcher.event.Who;
import io.netwatcher.export.Attr;
import io.netwatcher.export.WhoAttributes;
import io.netwatcher.identity.IdentityResolver;
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

        Who.Pod byCg = a.byCgroup(ino(container)).orElseThrow();
        assertEquals("checkout-1", byCg.name());
        assertEquals("app", byCg.container());
        assertTrue(a.byCgroup(ino(other)).isEmpty(), "not a pod's cgroup");
        assertEquals("checkout-1", a.byPid(4242).orElseThrow().name());
        assertTrue(a.byPid(4243).isEmpty(), "no such process");

        IpKey web = IpKey.parse("10.2.0.9");
        assertEquals("frontend", a.peer(web.hi(), web.lo()).orElseThrow().workload());
        IpKey local = IpKey.parse("10.1.0.5");
        assertEquals("checkout-1", a.peer(local.hi(), local.lo()).orElseThrow().name(), "node pods are peers too");

        // A drop carries the packet's own endpoints: the node's pod is found by address, the peer is the other end.
        CgroupPaths paths = new CgroupPaths(root);
        IdentityResolver all = new IdentityResolver(IdentityResolver.paths(paths), a, "n", NamespaceScope.ALL);
        ErrorEvent drop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "",
                new Tuple(Tuple.AF_INET, web.hi(), web.lo(), 40000, local.hi(), local.lo(), 8080), 12, 0, 0, 6, 0);
        Who who = all.resolve(drop);
        assertEquals("checkout-1", who.pod().name());
        assertEquals("frontend-1", who.peer().name());

        // Namespace scope: events and metrics of pods out of it are not reported; host traffic only
        // when no include list is given.
        NamespaceScope notShop = new NamespaceScope(Set.of(), Set.of("shop"));
        NamespaceScope onlyShop = new NamespaceScope(Set.of("shop"), Set.of());
        IdentityResolver withoutShop = new IdentityResolver(IdentityResolver.paths(paths), a, "n", notShop);
        IdentityResolver shopOnly = new IdentityResolver(IdentityResolver.paths(paths), a, "n", onlyShop);
        assertNull(withoutShop.resolve(drop));
        assertNotNull(shopOnly.resolve(drop));
        ErrorEvent hostDrop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "",
                new Tuple(Tuple.AF_INET, web.hi(), web.lo(), 40000, web.hi(), web.lo(), 8080), 12, 0, 0, 6, 0);
        assertNotNull(withoutShop.resolve(hostDrop));
        assertNull(shopOnly.resolve(hostDrop), "an include list leaves host traffic out");
        WhoAttributes attrs = new WhoAttributes();
        assertEquals("checkout-1", attrs.of(all.ofCgroup(ino(container))).get(Attr.K8S_POD));
        assertNull(withoutShop.ofCgroup(ino(container)), "excluded namespace");
        assertEquals("checkout-1", attrs.of(shopOnly.ofCgroup(ino(container))).get(Attr.K8S_POD));
        assertNotNull(withoutShop.ofCgroup(ino(other)));
        assertNull(shopOnly.ofCgroup(ino(other)), "host cgroup with an include list");

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
