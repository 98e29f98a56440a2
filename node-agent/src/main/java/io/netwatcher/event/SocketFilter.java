package io.netwatcher.event;

import java.util.List;
import java.util.Objects;

/**
 * Which sockets are reported (--sport, --dport, --uid): local ports, remote ports (empty = any)
 * and the owner's uid (-1 = any owner). The kernel applies it to what it reports; user space to
 * what it derives from the connection records (updates, flows).
 */
public record SocketFilter(List<Integer> localPorts, List<Integer> remotePorts, long uid) {
    /** Ports in each list: NW_PORTS_MAX of bpf/netwatcher.h. */
    public static final int MAX_PORTS = 8;
    /** Every socket. */
    public static final SocketFilter ALL = new SocketFilter(List.of(), List.of(), -1);

    public SocketFilter {
        localPorts = List.copyOf(Objects.requireNonNull(localPorts, "localPorts"));
        remotePorts = List.copyOf(Objects.requireNonNull(remotePorts, "remotePorts"));
        for (List<Integer> l : List.of(localPorts, remotePorts)) {
            if (l.size() > MAX_PORTS) {
                throw new IllegalArgumentException("at most " + MAX_PORTS + " ports per list");
            }
            if (l.stream().anyMatch(p -> p < 1 || p > 65535) || l.stream().distinct().count() != l.size()) {
                throw new IllegalArgumentException("ports must be distinct, 1-65535: " + l);
            }
        }
        if (uid < -1 || uid > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException("uid must be -1 (any) or 0-4294967294");
        }
    }

    /** Whether a port filter is set. */
    public boolean hasPorts() {
        return !localPorts.isEmpty() || !remotePorts.isEmpty();
    }

    /** Whether anything is filtered. */
    public boolean isAll() {
        return !hasPorts() && uid < 0;
    }

    /** A socket with this tuple (local first) owned by {@code ownerUid} (unsigned). */
    public boolean matches(Tuple t, long ownerUid) {
        return (localPorts.isEmpty() || localPorts.contains(t.sport()))
                && (remotePorts.isEmpty() || remotePorts.contains(t.dport()))
                && (uid < 0 || uid == ownerUid);
    }
}
