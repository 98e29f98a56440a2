package io.netwatcher.kube;

import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.event.Who;
import io.netwatcher.identity.PodDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers "which pod is this?" for events, in O(1) after warm-up:
 * <ul>
 *   <li>socket cgroup id -> cgroup path (walking the cgroup2 mount, cached by inode, rescanned on a
 *       miss) -> pod UID + container ID (parsed once per cgroup) -> the node's pod cache;</li>
 *   <li>pid -> /proc/PID/cgroup -> the same;</li>
 *   <li>an IP address -> a pod on this node, or the cluster-wide pod and Service address book.</li>
 * </ul>
 * Only the path parse is cached, never a failed pod lookup: a container whose cgroup appears
 * before its pod object is found as soon as the pod is known.
 */
public final class PodAttribution implements PodDirectory {
    private static final int MAX_CGROUPS = 65_536;
    private static final Optional<ContainerCgroup> NOT_A_POD = Optional.empty();

    private final NodePods pods;
    private final ClusterIndex cluster;
    private final CgroupPaths cgroups;
    private final Path proc;
    private final Map<Long, Optional<ContainerCgroup>> byCgroup = new LinkedHashMap<>(4096, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Optional<ContainerCgroup>> e) {
            return size() > MAX_CGROUPS;
        }
    };

    public PodAttribution(NodePods pods, ClusterIndex cluster, CgroupPaths cgroups, Path proc) {
        this.pods = pods;
        this.cluster = cluster;
        this.cgroups = cgroups;
        this.proc = proc;
    }

    @Override
    public Optional<Who.Pod> byCgroup(long cgroupId) {
        if (cgroupId == 0 || cgroups == null) {
            return Optional.empty();
        }
        Optional<ContainerCgroup> c;
        synchronized (byCgroup) {
            c = byCgroup.get(cgroupId);
        }
        if (c == null) {
            Optional<String> path = cgroups.path(cgroupId);
            if (path.isEmpty()) {
                return Optional.empty(); // not (yet) visible: not cached, looked up again next time
            }
            c = CgroupPodParser.parse(path.get());
            synchronized (byCgroup) {
                byCgroup.put(cgroupId, c.isPresent() ? c : NOT_A_POD);
            }
        }
        return c.flatMap(this::lookup);
    }

    /** The pod of a process, from /proc/PID/cgroup. */
    @Override
    public Optional<Who.Pod> byPid(int pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(proc.resolve(Integer.toString(pid)).resolve("cgroup"));
            return CgroupPodParser.parseProcCgroup(lines).flatMap(this::lookup);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // the process is gone
        }
    }

    private Optional<Who.Pod> lookup(ContainerCgroup c) {
        if (c.containerId() != null) {
            Optional<NodePods.ContainerRef> ref = pods.byContainerId(c.containerId());
            if (ref.isPresent()) {
                return Optional.of(who(ref.get().pod(), ref.get().container()));
            }
        }
        return pods.byUid(c.podUid()).map(p -> who(p, null));
    }

    static Who.Pod who(PodRecord p, String container) {
        return new Who.Pod(p.namespace(), p.name(), p.uid(), container, p.workload(), p.workloadKind());
    }

    @Override
    public Optional<Who.Pod> onNode(long hi, long lo) {
        return pods.byIp(hi, lo).map(p -> who(p, null));
    }

    @Override
    public Optional<Who.Peer> peer(long hi, long lo) {
        Optional<Who.Peer> p = cluster == null ? Optional.empty() : cluster.peer(hi, lo);
        if (p.isPresent()) {
            return p;
        }
        return pods.byIp(hi, lo).map(r -> new Who.Peer(r.namespace(), r.name(), r.workload(), r.workloadKind(), null));
    }

    /** Cached cgroup parses (bounded). */
    public int cachedCgroups() {
        synchronized (byCgroup) {
            return byCgroup.size();
        }
    }
}
