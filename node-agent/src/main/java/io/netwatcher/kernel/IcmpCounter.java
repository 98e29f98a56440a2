package io.netwatcher.kernel;

import java.util.Objects;

/**
 * An ICMP counter's key (struct nw_icmp_key): who (a socket's cgroup, else 0 and the network
 * namespace the kernel saw the message in), what, the IP family (4 or 6), and for errors the
 * ICMP type and code.
 */
public record IcmpCounter(long cgroupId, long netns, IcmpKind kind, int ipVersion, int type, int code) {
    public IcmpCounter {
        Objects.requireNonNull(kind, "kind");
        if (ipVersion != 4 && ipVersion != 6) {
            throw new IllegalArgumentException("IP version " + ipVersion);
        }
    }
}
