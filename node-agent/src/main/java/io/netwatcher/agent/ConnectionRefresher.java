package io.netwatcher.agent;

import io.netwatcher.bpf.BpfLink;
import io.netwatcher.netns.Netns;
import io.netwatcher.netns.NetnsRunner;
import io.netwatcher.probe.ProbeSet;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes connection counters from the live sockets: runs the TCP socket iterator inside each
 * network namespace that holds tracked connections (a BPF TCP iterator sees only its creator's
 * namespace). Namespaces are found by inode; the scan is redone when an unknown one appears.
 * Owners of sockets the kernel saw no process for come from a walk over every process's files.
 */
final class ConnectionRefresher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionRefresher.class);
    private static final long RESCAN_NS = 1_000_000_000L;

    private final ProbeSet probes;
    private final Netns netns;
    private final NetnsRunner runner = new NetnsRunner();
    private Map<Long, Path> known = Map.of();
    private long lastScan = Long.MIN_VALUE / 2;

    ConnectionRefresher(ProbeSet probes, Netns netns) {
        this.probes = probes;
        this.netns = netns;
    }

    /** Whether connection counters are refreshed by walking the sockets (else on received segments). */
    boolean walks() {
        return probes.connectionIterator().isPresent();
    }

    /**
     * Every namespace on the host: learns the connections and listeners that predate the agent,
     * then the processes that hold them.
     */
    synchronized void refreshAll() {
        rescan();
        probes.connectionIterator().ifPresent(it -> run(it, known));
        findOwners();
    }

    /**
     * Gives the sockets without an owner the process holding them: a walk over every process's
     * files, then one over the sockets of each namespace, which stores what the first found.
     */
    synchronized void findOwners() {
        List<BpfLink> walks = probes.ownerIterators().orElse(null);
        if (walks == null) {
            return;
        }
        walks.get(0).runIterator();
        if (known.isEmpty() || System.nanoTime() - lastScan > RESCAN_NS) {
            rescan(); // rare (start-up, new connections without an owner): every namespace there is now
        }
        run(walks.get(1), new HashMap<>(known));
    }

    /**
     * Walks the sockets of these namespaces (those of the tracked connections): returns the
     * inodes of those walked (every tracked socket still there was refreshed; the walk also
     * reported the connections listed as gone).
     */
    synchronized Set<Long> refresh(Set<Long> namespaces) {
        BpfLink it = probes.connectionIterator().orElse(null);
        if (it == null || namespaces.isEmpty()) {
            return Set.of();
        }
        if (!known.keySet().containsAll(namespaces) && System.nanoTime() - lastScan > RESCAN_NS) {
            rescan();
        }
        Map<Long, Path> targets = new HashMap<>();
        for (long inode : namespaces) {
            Path p = known.get(inode);
            if (p != null) {
                targets.put(inode, p);
            }
        }
        return run(it, targets);
    }

    private void rescan() {
        known = netns.scan();
        lastScan = System.nanoTime();
    }

    /** Runs the walk in each namespace; returns the inodes of those walked. */
    private Set<Long> run(BpfLink it, Map<Long, Path> targets) {
        Set<Long> walked = new HashSet<>(targets.keySet());
        runner.forEach(targets, it::runIterator, (path, e) -> {
            LOG.debug("cannot refresh connections in {}: {}", path, e.getMessage());
            targets.forEach((inode, p) -> {
                if (p.equals(path)) {
                    walked.remove(inode);
                }
            });
        });
        return walked;
    }

    @Override
    public void close() {
        runner.close();
    }
}
