package io.netwatcher.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The counter maps' key structs as the probes write them (offsets from {@link Layouts}, which
 * LayoutTest checks against BTF), decoded by their records; a chunk holds several keys, so each is
 * written at an offset.
 */
class CounterKeysTest {
    private static final int AT = 32; // the third key of a chunk

    private static ByteBuffer chunk() {
        return ByteBuffer.allocate(AT + 16).order(ByteOrder.nativeOrder());
    }

    @Test
    void aCounterKeyIsItsCgroupKindAndDetail() {
        ByteBuffer b = chunk();
        b.putLong(AT + Layouts.CounterKey.CGROUP_ID, 4242L).putShort(AT + Layouts.CounterKey.KIND, (short) 12)
                .putInt(AT + Layouts.CounterKey.DETAIL, (1 << 8) | 6);
        assertEquals(new Counter(4242L, CounterKind.UDP_DATAGRAMS, (1 << 8) | 6), Counter.read(b, AT));
        b.putShort(AT + Layouts.CounterKey.KIND, (short) 15);
        assertNull(Counter.read(b, AT), "a kind this agent does not know");
    }

    @Test
    void anIcmpKeyIsItsCgroupNetnsKindFamilyTypeAndCode() {
        ByteBuffer b = chunk();
        b.putLong(AT + Layouts.IcmpKey.CGROUP_ID, 0L).putInt(AT + Layouts.IcmpKey.NETNS, 0xf0000001)
                .put(AT + Layouts.IcmpKey.KIND, (byte) 6).put(AT + Layouts.IcmpKey.FAMILY, (byte) 10)
                .put(AT + Layouts.IcmpKey.TYPE, (byte) 1).put(AT + Layouts.IcmpKey.CODE, (byte) 4);
        assertEquals(new IcmpCounter(0L, 0xf0000001L, IcmpKind.ERROR_RECEIVED, 6, 1, 4), IcmpCounter.read(b, AT),
                "the netns inode unsigned, AF_INET6 as IPv6");
        b.put(AT + Layouts.IcmpKey.FAMILY, (byte) 2).put(AT + Layouts.IcmpKey.TYPE, (byte) 200);
        assertEquals(new IcmpCounter(0L, 0xf0000001L, IcmpKind.ERROR_RECEIVED, 4, 200, 4), IcmpCounter.read(b, AT),
                "AF_INET as IPv4, the type unsigned");
        b.put(AT + Layouts.IcmpKey.KIND, (byte) 7);
        assertNull(IcmpCounter.read(b, AT), "a kind this agent does not know");
    }

    @Test
    void aDnsKeyIsItsCgroupKindRcodeTransportAndFamily() {
        ByteBuffer b = chunk();
        b.putLong(AT + Layouts.DnsKey.CGROUP_ID, 77L).put(AT + Layouts.DnsKey.KIND, (byte) 2)
                .put(AT + Layouts.DnsKey.RCODE, (byte) 3).put(AT + Layouts.DnsKey.PROTOCOL, (byte) 17)
                .put(AT + Layouts.DnsKey.FAMILY, (byte) 10);
        assertEquals(new DnsCounter(77L, DnsKind.RESPONSE, 3, 17, 6), DnsCounter.read(b, AT));
        b.put(AT + Layouts.DnsKey.KIND, (byte) 1).put(AT + Layouts.DnsKey.RCODE, (byte) 0)
                .put(AT + Layouts.DnsKey.PROTOCOL, (byte) 6).put(AT + Layouts.DnsKey.FAMILY, (byte) 2);
        assertEquals(new DnsCounter(77L, DnsKind.QUERY, 0, 6, 4), DnsCounter.read(b, AT));
        b.put(AT + Layouts.DnsKey.KIND, (byte) 0);
        assertNull(DnsCounter.read(b, AT), "a kind this agent does not know");
    }
}
