package io.netwatcher.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class IpTest {
    private static String fmt(String addr) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(InetAddress.getByName(addr).getAddress());
        return Ip.formatIpv6(b.getLong(0), b.getLong(8));
    }

    @Test
    void ipv6TextFollowsRfc5952() throws Exception {
        assertEquals("2001:db8::1", fmt("2001:0db8:0000:0000:0000:0000:0000:0001"));
        assertEquals("::", fmt("::"));
        assertEquals("::1", fmt("::1"));
        assertEquals("fe80::1:0:0:1", fmt("fe80:0:0:0:1:0:0:1"), "the first of equal zero runs");
        assertEquals("2001:db8:0:1:1:1:1:1", fmt("2001:db8:0:1:1:1:1:1"), "a single zero group stays");
        assertEquals("2001:db8::2:1", fmt("2001:db8:0:0:0:0:2:1"));
        assertEquals("2001:0:0:1::1", fmt("2001:0:0:1:0:0:0:1"), "the longest run wins");
        assertEquals("ff02::2", fmt("ff02::2"));
    }

    @Test
    void ipv4MappedAddresses() {
        assertEquals("::ffff:198.18.0.1", Ip.formatIpv6(0, 0x0000FFFFC6120001L));
    }
}
