package io.netwatcher.names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class DnsTest {
    private static String name(byte... wire) {
        return Dns.name(ByteBuffer.wrap(wire), 0, wire.length);
    }

    @Test
    void wireNamesBecomeDottedNames() {
        assertEquals("kube-dns.kube-system.svc", name((byte) 8, (byte) 'k', (byte) 'u', (byte) 'b', (byte) 'e',
                (byte) '-', (byte) 'd', (byte) 'n', (byte) 's', (byte) 11, (byte) 'k', (byte) 'u', (byte) 'b',
                (byte) 'e', (byte) '-', (byte) 's', (byte) 'y', (byte) 's', (byte) 't', (byte) 'e', (byte) 'm',
                (byte) 3, (byte) 's', (byte) 'v', (byte) 'c', (byte) 0));
        assertEquals(".", name((byte) 0), "the root");
        assertEquals("", Dns.name(ByteBuffer.allocate(4), 0, 0), "no name (names off)");
        assertEquals("a\\046b\\032c\\255", name((byte) 6, (byte) 'a', (byte) '.', (byte) 'b', (byte) ' ', (byte) 'c',
                (byte) 0xff, (byte) 0), "dots, spaces and bytes outside ASCII are escaped (RFC 4343)");
    }

    @Test
    void malformedNamesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> name((byte) 5, (byte) 'a', (byte) 0),
                "a label longer than the name");
        assertThrows(IllegalArgumentException.class, () -> name((byte) 0xc0, (byte) 0x0c), "a compression pointer");
    }

    @Test
    void codesAndTypesHaveTheirMnemonics() {
        assertEquals("NOERROR", Dns.rcode(0));
        assertEquals("SERVFAIL", Dns.rcode(2));
        assertEquals("NXDOMAIN", Dns.rcode(3));
        assertEquals("REFUSED", Dns.rcode(5));
        assertEquals("15", Dns.rcode(15));
        assertEquals("A", Dns.qtype(1));
        assertEquals("AAAA", Dns.qtype(28));
        assertEquals("SRV", Dns.qtype(33));
        assertEquals("TYPE65280", Dns.qtype(65280), "RFC 3597 for types without a mnemonic");
    }
}
