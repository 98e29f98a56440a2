package io.netwatcher.kernel;

import io.netwatcher.event.Tuple;
import java.nio.ByteBuffer;
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

    /** The key at {@code at} of an {@code icmp_counters} chunk; null for a kind this agent does not know. */
    static IcmpCounter read(ByteBuffer keys, int at) {
        IcmpKind kind = IcmpKind.of(Byte.toUnsignedInt(keys.get(at + Layouts.IcmpKey.KIND)));
        if (kind == null) {
            return null;
        }
        int family = Byte.toUnsignedInt(keys.get(at + Layouts.IcmpKey.FAMILY));
        return new IcmpCounter(keys.getLong(at + Layouts.IcmpKey.CGROUP_ID),
                Integer.toUnsignedLong(keys.getInt(at + Layouts.IcmpKey.NETNS)), kind, family == Tuple.AF_INET6 ? 6 : 4,
                Byte.toUnsignedInt(keys.get(at + Layouts.IcmpKey.TYPE)),
                Byte.toUnsignedInt(keys.get(at + Layouts.IcmpKey.CODE)));
    }
}
