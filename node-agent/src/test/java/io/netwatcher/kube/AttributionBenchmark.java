package io.netwatcher.kube;

import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Event;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Role;
import io.netwatcher.event.Tuple;
import io.netwatcher.event.Who;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Attribution cost per event after warm-up (who the event belongs to, resolved once for every
 * output): socket cgroup id -> cgroup path, pod and container, and the remote address -> peer pod,
 * with 10,000 pods on the node (one cgroup each, kubelet's systemd layout in a temporary tree) and
 * 100,000 pods cluster-wide.
 *
 * <pre>bench/attribution.sh</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AttributionBenchmark {
    static final int NODE_PODS = 10_000;
    static final int CLUSTER_PODS = 100_000;

    private Path dir;
    private IdentityResolver identity;
    private Event[] events;
    private int i;

    static String uid(int n) {
        return String.format("%08x-0000-4000-8000-%012x", n, n);
    }

    static String ip(int n) {
        return "10." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("nw-attr");
        NodePods pods = new NodePods(null);
        ClusterIndex cluster = new ClusterIndex();
        long[] cgroupIds = new long[NODE_PODS];
        for (int n = 0; n < NODE_PODS; n++) {
            String cid = KubeFixtures.containerId(n + 1);
            pods.put(KubeFixtures.deploymentPod("ns" + (n % 50), "app" + (n % 500), "pod-" + n, uid(n), "node",
                    ip(n), "c", cid));
            Path cg = Files.createDirectories(dir.resolve("kubepods.slice/kubepods-pod" + uid(n).replace('-', '_')
                    + ".slice/cri-containerd-" + cid + ".scope"));
            cgroupIds[n] = (Long) Files.getAttribute(cg, "unix:ino");
        }
        for (int n = 0; n < CLUSTER_PODS; n++) {
            cluster.putPod(KubeFixtures.deploymentPod("ns" + (n % 50), "app" + (n % 500), "pod-" + n, "c" + n, "other",
                    ip(NODE_PODS + n), "c", KubeFixtures.containerId(NODE_PODS + n + 1)));
        }
        CgroupPaths paths = new CgroupPaths(dir);
        PodAttribution a = new PodAttribution(pods, cluster, paths, Path.of("/proc"));
        identity = new IdentityResolver(IdentityResolver.paths(paths), a, "node", NamespaceScope.ALL);
        events = new Event[4096];
        ConnStats s = new ConnStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "",
                Role.CLIENT, 1, true);
        for (int e = 0; e < events.length; e++) {
            int local = (e * 7919) % NODE_PODS;
            IpKey src = IpKey.parse(ip(local));
            IpKey dst = IpKey.parse(ip(NODE_PODS + (e * 104729) % CLUSTER_PODS));
            Tuple t = new Tuple(Tuple.AF_INET, src.hi(), src.lo(), 40000, dst.hi(), dst.lo(), 8080);
            events[e] = e % 2 == 0
                    ? new PacketEvent(0, e, cgroupIds[local], 0, "", t, Direction.RX, 0, 0, 1, new long[5], null)
                    : new ConnEvent(ConnEvent.Kind.UPDATE, 0, e, t, 1,
                    new ConnStats(0, 0, cgroupIds[local], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, "", Role.CLIENT, 1, true));
        }
        for (Event e : events) { // warm-up: every cgroup path parsed once
            Who who = identity.resolve(e);
            if (who.pod() == null || who.peer() == null || who.cgroupPath() == null) {
                throw new IllegalStateException("unresolved " + e);
            }
        }
    }

    /** Who one event belongs to: cgroup path, pod and container, peer. */
    @Benchmark
    public Who resolve() {
        return identity.resolve(events[i++ & (events.length - 1)]);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
