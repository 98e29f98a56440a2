package io.netwatcher.kernel;

import java.util.Objects;

/**
 * A DNS counter's key (struct nw_dns_key): the client socket's cgroup, what was counted, the
 * response code (responses; 0 otherwise), the transport (IPPROTO_UDP or IPPROTO_TCP) and the IP
 * family (4 or 6).
 */
public record DnsCounter(long cgroupId, DnsKind kind, int rcode, int protocol, int ipVersion) {
    public DnsCounter {
        Objects.requireNonNull(kind, "kind");
        if (ipVersion != 4 && ipVersion != 6) {
            throw new IllegalArgumentException("IP version " + ipVersion);
        }
        if (rcode < 0 || rcode > 15) {
            throw new IllegalArgumentException("rcode " + rcode);
        }
    }
}
