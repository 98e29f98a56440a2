package io.netwatcher.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Event;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.Role;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One identity per event, in one order for every output, the namespace scope applied once. */
class IdentityResolverTest {
    static final long HI = 0;
    static final long POD_IP = 0x0000FFFF0A000005L;   // 10.0.0.5, a pod of this node
    static final long PEER_IP = 0x0000FFFF0A000109L;  // 10.0.1.9, a pod elsewhere
    static final Who.Pod SHOP = new Who.Pod("shop", "checkout-1", "u1", "app", "checkout", "Deployment");
    static final Who.Pod WEB = new Who.Pod("web", "frontend-1", "u2", "c", "frontend", "Deployment");
    static final Who.Peer PEER = new Who.Peer("web", "frontend-1", "frontend", "Deployment", null);

    /** A directory that records the lookups asked of it. */
    static final class Pods implements PodDirectory {
        final Map<Long, Who.Pod> cgroups = new HashMap<>();
        final Map<Integer, Who.Pod> pids = new HashMap<>();
        final List<String> asked = new ArrayList<>();

        @Override
        public Optional<Who.Pod> byCgroup(long cgroupId) {
            asked.add("cgroup " + cgroupId);
            return Optional.ofNullable(cgroups.get(cgroupId));
        }

        @Override
        public Optional<Who.Pod> byPid(int pid) {
            asked.add("pid " + pid);
            return Optional.ofNullable(pids.get(pid));
        }

        @Override
        public Optional<Who.Pod> onNode(long hi, long lo) {
            asked.add("node address " + Long.toHexString(lo));
            return lo == POD_IP ? Optional.of(new Who.Pod("shop", "checkout-1", "u1", null, "checkout", "Deployment"))
                    : Optional.empty();
        }

        @Override
        public Optional<Who.Peer> peer(long hi, long lo) {
            asked.add("peer " + Long.toHexString(lo));
            return lo == PEER_IP ? Optional.of(PEER) : Optional.empty();
        }
    }

    final Pods pods = new Pods();
    final Map<Long, String> paths = new HashMap<>(Map.of(7L, "/kubepods/pod-u1/app", 8L, "/system.slice/x"));
    final IdentityResolver all = new IdentityResolver(paths::get, pods, "node-1", NamespaceScope.ALL);

    static ConnStats stats(long cgroup, int pid) {
        return new ConnStats(0, 0, cgroup, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, pid, 0, "x",
                Role.CLIENT, 1, true);
    }

    /** local 10.0.0.5:40000 -> remote 10.0.1.9:8080 */
    static final Tuple LOCAL_FIRST = new Tuple(Tuple.AF_INET, HI, POD_IP, 40000, HI, PEER_IP, 8080);

    static Event conn(long cgroup, int pid) {
        return new ConnEvent(ConnEvent.Kind.UPDATE, 1, 9, LOCAL_FIRST, 1, stats(cgroup, pid));
    }

    @Test
    void aSocketsCgroupComesFirstAndTheRemoteEndIsThePeer() {
        pods.cgroups.put(7L, SHOP);
        pods.pids.put(42, WEB);
        Who who = all.resolve(conn(7, 42));
        assertEquals(new Who(7, "/kubepods/pod-u1/app", SHOP, PEER, "node-1"), who);
        assertEquals(List.of("cgroup 7", "peer ffff0a000109"), pods.asked, "the process is not asked when the cgroup answers");
    }

    @Test
    void thenTheProcessThenNothing() {
        pods.pids.put(42, WEB);
        assertEquals(WEB, all.resolve(conn(8, 42)).pod());
        assertEquals("/system.slice/x", all.resolve(conn(8, 42)).cgroupPath(), "the cgroup path is kept");
        pods.asked.clear();
        Who none = all.resolve(conn(8, 43));
        assertNull(none.pod());
        assertEquals(List.of("cgroup 8", "pid 43", "peer ffff0a000109"), pods.asked, "no address lookup: local first");
    }

    @Test
    void aPacketLevelEventIsFoundByTheNodesPodAddressAndItsPeerIsTheOtherEnd() {
        // A drop travels from the peer to the pod: sender first.
        ErrorEvent drop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "", LOCAL_FIRST.reversed(), 2, 0, 0, 6, 0);
        Who who = all.resolve(drop);
        assertEquals("checkout-1", who.pod().name());
        assertEquals(PEER, who.peer());
        ErrorEvent out = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "", LOCAL_FIRST, 2, 0, 0, 6, 0);
        assertEquals(PEER, all.resolve(out).peer(), "the pod sent it: the peer is the destination");
    }

    @Test
    void aCgroupsAggregatesAreResolvedByTheCgroupOnly() {
        pods.cgroups.put(7L, SHOP);
        assertEquals(new Who(7, "/kubepods/pod-u1/app", SHOP, null, "node-1"), all.ofCgroup(7));
        assertEquals(List.of("cgroup 7"), pods.asked);
        assertEquals(new Who(0, null, null, null, "node-1"), all.ofCgroup(0), "the node itself");
    }

    @Test
    void theNamespaceScopeIsAppliedToEventsAndAggregatesAlike() {
        pods.cgroups.put(7L, SHOP);
        IdentityResolver notShop = new IdentityResolver(paths::get, pods, "node-1",
                new NamespaceScope(Set.of(), Set.of("shop")));
        IdentityResolver onlyShop = new IdentityResolver(paths::get, pods, "node-1",
                new NamespaceScope(Set.of("shop"), Set.of()));
        assertNull(notShop.resolve(conn(7, 0)));
        assertNull(notShop.ofCgroup(7));
        assertEquals(SHOP, onlyShop.resolve(conn(7, 0)).pod());
        assertNull(onlyShop.resolve(conn(8, 0)), "host traffic is out when namespaces are named");
        assertNull(onlyShop.ofCgroup(8));
        assertEquals("/system.slice/x", notShop.ofCgroup(8).cgroupPath());
    }

    @Test
    void anEventThatCannotBeResolvedKeepsItsCgroupUnlessNamespacesAreNamed() {
        assertEquals(Who.ofCgroup(7), all.unresolved(conn(7, 0)));
        assertNull(new IdentityResolver(paths::get, pods, "node-1", new NamespaceScope(Set.of(), Set.of("shop")))
                .unresolved(conn(7, 0)), "a scope cannot be applied to it: not reported");
    }

    @Test
    void standaloneIsTheCgroupPathOnly() {
        IdentityResolver standalone = new IdentityResolver(paths::get, null, null, NamespaceScope.ALL);
        FlowEvent f = new FlowEvent(1, 9, 8, 42, "x", LOCAL_FIRST, 1, 1, 1, 1, 1);
        assertEquals(new Who(8, "/system.slice/x", null, null, null), standalone.resolve(f));
        assertEquals(Who.NONE, standalone.ofCgroup(0));
    }
}
