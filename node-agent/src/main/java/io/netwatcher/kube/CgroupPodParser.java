package io.netwatcher.kube;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the cgroup paths kubelet and the container runtimes create, for both cgroup drivers:
 * <ul>
 *   <li>systemd: {@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/
 *       cri-containerd-<id>.scope} (also {@code crio-<id>.scope}, {@code crio-conmon-<id>.scope},
 *       {@code docker-<id>.scope}; guaranteed pods sit directly under {@code kubepods.slice}; nested
 *       setups prefix {@code /kubelet.slice/kubelet-kubepods.slice/...})</li>
 *   <li>cgroupfs: {@code /kubepods/burstable/pod<uid>/<id>}, {@code /kubepods/pod<uid>/<id>}</li>
 *   <li>containerd's systemd-style leaf under a service: {@code ...-pod<uid>.slice:cri-containerd:<id>}</li>
 * </ul>
 * A path with a pod but no container (the pod slice, or the sandbox's) yields a null container ID.
 */
public final class CgroupPodParser {
    private static final String UID = "([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})";
    private static final String ID = "([0-9a-f]{64})";
    /** kubepods-[qos-]pod<uid>.slice or pod<uid> as a path component. */
    private static final Pattern POD = Pattern.compile("(?:^|/)(?:[a-z0-9-]*kubepods(?:-[a-z]+)?-pod" + UID + "\\.slice|pod" + UID
            + ")(?=/|:|$)");
    private static final Pattern SCOPE = Pattern.compile("^(cri-containerd|crio|crio-conmon|docker|containerd)-" + ID
            + "\\.scope$");
    private static final Pattern COLON = Pattern.compile("^[^:]*:(cri-containerd|crio|docker|containerd):" + ID + "$");
    private static final Pattern BARE = Pattern.compile("^" + ID + "$");

    private CgroupPodParser() {}

    /** The pod and container of a cgroup v2 path (relative to the mount), if it is a pod's. */
    public static Optional<ContainerCgroup> parse(String path) {
        if (path == null || path.indexOf("pod") < 0) {
            return Optional.empty();
        }
        Matcher m = POD.matcher(path);
        String uid = null;
        int podEnd = -1;
        while (m.find()) { // the innermost pod component wins
            uid = m.group(1) != null ? m.group(1) : m.group(2);
            podEnd = m.end();
        }
        if (uid == null) {
            return Optional.empty();
        }
        uid = uid.replace('_', '-');
        String rest = path.substring(podEnd);
        if (rest.startsWith(":")) { // ...-pod<uid>.slice:cri-containerd:<id>
            Matcher c = COLON.matcher(path.substring(path.lastIndexOf('/') + 1));
            return Optional.of(c.matches() ? new ContainerCgroup(uid, c.group(2), runtime(c.group(1)))
                    : new ContainerCgroup(uid, null, ""));
        }
        String leaf = rest.startsWith("/") ? rest.substring(1) : rest;
        int slash = leaf.indexOf('/');
        if (slash >= 0) {
            leaf = leaf.substring(0, slash); // a container's own sub-cgroups belong to it
        }
        if (leaf.isEmpty()) {
            return Optional.of(new ContainerCgroup(uid, null, ""));
        }
        Matcher s = SCOPE.matcher(leaf);
        if (s.matches()) {
            return Optional.of(new ContainerCgroup(uid, s.group(2), runtime(s.group(1))));
        }
        Matcher b = BARE.matcher(leaf);
        if (b.matches()) {
            return Optional.of(new ContainerCgroup(uid, b.group(1), ""));
        }
        return Optional.of(new ContainerCgroup(uid, null, ""));
    }

    private static String runtime(String prefix) {
        return switch (prefix) {
            case "cri-containerd", "containerd" -> "containerd";
            case "crio", "crio-conmon" -> "cri-o";
            case "docker" -> "docker";
            default -> "";
        };
    }

    /**
     * The pod and container of a process from its /proc/PID/cgroup lines: the unified (v2)
     * line ({@code 0::/path}) first, then the v1 hierarchies (hybrid hosts where kubelet runs on
     * v1 controllers and the unified tree only mirrors systemd).
     */
    public static Optional<ContainerCgroup> parseProcCgroup(List<String> lines) {
        for (String line : lines) {
            if (line.startsWith("0::")) {
                Optional<ContainerCgroup> c = parse(line.substring(3));
                if (c.isPresent()) {
                    return c;
                }
            }
        }
        for (String line : lines) {
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b > 0 && !line.startsWith("0::")) {
                Optional<ContainerCgroup> c = parse(line.substring(b + 1));
                if (c.isPresent()) {
                    return c;
                }
            }
        }
        return Optional.empty();
    }
}
