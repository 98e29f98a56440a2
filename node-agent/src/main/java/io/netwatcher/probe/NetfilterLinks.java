package io.netwatcher.probe;

import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.BpfLink;
import io.netwatcher.bpf.BpfProgram;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The netfilter links of the hook-time programs, per network namespace: nf_first at the first
 * priority and nf_last at the last priority of every IPv4 and IPv6 hook (20 links a namespace).
 * The kernel links a program into the namespace of the thread that creates the link, and a link
 * holds its namespace alive: links are made from inside each namespace (see NetnsRunner) and closed
 * when the namespace is no longer found, and all of them at shutdown.
 */
public final class NetfilterLinks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetfilterLinks.class);
    /** NFPROTO_IPV4 and NFPROTO_IPV6 (include/uapi/linux/netfilter.h). */
    static final int[] FAMILIES = {2, 10};
    /** NF_INET_PRE_ROUTING .. NF_INET_POST_ROUTING. */
    static final int HOOKS = 5;
    /** NF_IP_PRI_FIRST + 1: the kernel refuses INT_MIN itself (bpf_nf_check_pf_and_hooks). */
    public static final int FIRST_PRIORITY = Integer.MIN_VALUE + 1;
    /** NF_IP_PRI_LAST - 1: INT_MAX is refused too (conntrack confirm must stay last). */
    public static final int LAST_PRIORITY = Integer.MAX_VALUE - 1;

    private final BpfProgram first;
    private final BpfProgram last;
    private final Map<Long, List<BpfLink>> byNetns = new HashMap<>();
    private boolean closed;

    NetfilterLinks(BpfProgram first, BpfProgram last) {
        this.first = Objects.requireNonNull(first, "first");
        this.last = Objects.requireNonNull(last, "last");
    }

    /**
     * Links both programs to every hook of the calling thread's network namespace, whose inode is
     * {@code netns}; nothing when it is linked already. The first-priority links are made before
     * the last-priority ones, so no packet meets a last program without a first. On failure the
     * links made are closed and the error thrown.
     */
    public synchronized void attachHere(long netns) {
        if (closed) {
            throw new IllegalStateException("netfilter links closed");
        }
        if (byNetns.containsKey(netns)) {
            return;
        }
        List<BpfLink> links = new ArrayList<>(2 * FAMILIES.length * HOOKS);
        try {
            for (BpfProgram p : List.of(first, last)) {
                int priority = p == first ? FIRST_PRIORITY : LAST_PRIORITY;
                for (int pf : FAMILIES) {
                    for (int hook = 0; hook < HOOKS; hook++) {
                        links.add(p.attachNetfilter(pf, hook, priority));
                    }
                }
            }
        } catch (BpfException | IllegalStateException e) {
            closeAll(links);
            throw e;
        }
        byNetns.put(netns, links);
    }

    /** Closes the links of one namespace (gone, or no longer watched); false when it had none. */
    public synchronized boolean detach(long netns) {
        List<BpfLink> links = byNetns.remove(netns);
        if (links == null) {
            return false;
        }
        closeAll(links);
        return true;
    }

    /** The inodes of the namespaces linked now. */
    public synchronized Set<Long> namespaces() {
        return new TreeSet<>(byNetns.keySet());
    }

    private static void closeAll(List<BpfLink> links) {
        for (int i = links.size() - 1; i >= 0; i--) { // last-priority links first
            try {
                links.get(i).close();
            } catch (BpfException e) {
                LOG.warn("cannot close netfilter link of {}: {}", links.get(i).program(), e.getMessage());
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        byNetns.values().forEach(NetfilterLinks::closeAll);
        byNetns.clear();
    }
}
