package io.netwatcher.kernel;

import io.netwatcher.event.Tuple;
import java.nio.ByteBuffer;
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

    /** The key at {@code at} of a {@code dns_counters} chunk; null for a kind this agent does not know. */
    static DnsCounter read(ByteBuffer keys, int at) {
        DnsKind kind = DnsKind.of(Byte.toUnsignedInt(keys.get(at + Layouts.DnsKey.KIND)));
        if (kind == null) {
            return null;
        }
        int family = Byte.toUnsignedInt(keys.get(at + Layouts.DnsKey.FAMILY));
        return new DnsCounter(keys.getLong(at + Layouts.DnsKey.CGROUP_ID), kind,
                Byte.toUnsignedInt(keys.get(at + Layouts.DnsKey.RCODE)) & 0xf,
                Byte.toUnsignedInt(keys.get(at + Layouts.DnsKey.PROTOCOL)), family == Tuple.AF_INET6 ? 6 : 4);
    }
}
