package io.netwatcher.agent;

import io.netwatcher.netns.Netns;
import io.netwatcher.netns.NetnsRunner;
import io.netwatcher.probe.NetfilterLinks;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the netfilter hook-time programs linked in every network namespace on the host (a
 * netfilter link serves only the namespace it was made in): each sync finds the namespaces
 * (processes' and /run/netns'), links those new from inside them, and closes the links of those no
 * longer found (a link holds its namespace alive, so they must go for the namespace to go).
 */
final class NetfilterNamespaces implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetfilterNamespaces.class);
    private static final Path HERE = Path.of("/proc/thread-self/ns/net");

    private final NetfilterLinks links;
    private final Netns netns;
    private final NetnsRunner runner = new NetnsRunner();
    private final Set<Long> failed = new HashSet<>();

    NetfilterNamespaces(NetfilterLinks links, Netns netns) {
        this.links = links;
        this.netns = netns;
    }

    /** Links the namespaces found that have no links, unlinks those gone; returns the linked ones. */
    synchronized Set<Long> sync() {
        Map<Long, Path> found = netns.scan();
        long home = inode(HERE);
        for (long ns : links.namespaces()) {
            if (ns != home && !found.containsKey(ns)) {
                links.detach(ns);
                LOG.debug("netfilter links closed in network namespace {} (gone)", ns);
            }
        }
        failed.retainAll(found.keySet());
        Set<Long> linked = links.namespaces();
        for (Map.Entry<Long, Path> e : found.entrySet()) {
            long ns = e.getKey();
            if (linked.contains(ns)) {
                continue;
            }
            runner.forEach(Map.of(ns, e.getValue()), () -> {
                if (inode(HERE) != ns) { // the process whose namespace this was exited, its pid reused
                    throw new IllegalStateException("namespace " + ns + " gone before it was entered");
                }
                links.attachHere(ns);
            }, (path, ex) -> {
                if (failed.add(ns)) {
                    LOG.warn("cannot link the netfilter hook-time programs in network namespace {} ({}): {}", ns,
                            path, ex.getMessage());
                }
            });
        }
        return links.namespaces();
    }

    private static long inode(Path p) {
        try {
            return Netns.inode(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        runner.close();
    }
}
