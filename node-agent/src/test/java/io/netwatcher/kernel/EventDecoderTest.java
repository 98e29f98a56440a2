package io.netwatcher.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.HandshakeFailure;
import io.netwatcher.event.DnsEvent;
import io.netwatcher.event.DnsOutcome;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.IcmpSide;
import io.netwatcher.event.Layer;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Role;
import io.netwatcher.event.StateEvent;
import io.netwatcher.event.Transport;
import io.netwatcher.event.Tuple;
import io.netwatcher.names.TcpState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventDecoderTest {
    private final EventDecoder decoder = new EventDecoder();

    /** Writes a struct nw_tuple: IPv4 given as 4 bytes is stored IPv4-mapped, as the BPF side does. */
    static void tuple(ByteBuffer b, int off, int family, byte[] src, int sport, byte[] dst, int dport) {
        byte[] s = new byte[16];
        byte[] d = new byte[16];
        if (src.length == 4) {
            s[10] = s[11] = d[10] = d[11] = (byte) 0xff;
            System.arraycopy(src, 0, s, 12, 4);
            System.arraycopy(dst, 0, d, 12, 4);
        } else {
            s = src;
            d = dst;
        }
        b.put(off + Layouts.Tuple.SADDR, s);
        b.put(off + Layouts.Tuple.DADDR, d);
        b.putShort(off + Layouts.Tuple.SPORT, (short) sport);
        b.putShort(off + Layouts.Tuple.DPORT, (short) dport);
        b.putShort(off + Layouts.Tuple.FAMILY, (short) family);
    }

    static void header(ByteBuffer b, int type, int pid, long ts, long cookie, long cg) {
        b.putShort(Layouts.EventHdr.TYPE, (short) type);
        b.putInt(Layouts.EventHdr.PID, pid);
        b.putLong(Layouts.EventHdr.TS_NS, ts);
        b.putLong(Layouts.EventHdr.COOKIE, cookie);
        b.putLong(Layouts.EventHdr.CGROUP_ID, cg);
    }

    static ByteBuffer buf(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    static final byte[] A4 = {(byte) 198, 18, 0, 1};
    static final byte[] B4 = {(byte) 198, 18, 0, 2};

    @Test
    void decodesAStateTransitionWithItsDurationAndHandshakeFailure() {
        ByteBuffer b = buf(Layouts.StateEvent.SIZE);
        header(b, RecordType.STATE.value(), 42, 5_000, 77, 9);
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET, B4, 40000, A4, 81);
        b.putLong(Layouts.StateEvent.DURATION_NS, 3_000_123_000L);
        b.put(Layouts.StateEvent.OLDSTATE, (byte) TcpState.SYN_SENT.value());
        b.put(Layouts.StateEvent.NEWSTATE, (byte) TcpState.CLOSE.value());
        b.put(Layouts.StateEvent.FAILURE, (byte) HandshakeFailure.TIMED_OUT.value());
        b.putInt(Layouts.StateEvent.SK_ERR, 110);
        b.put(Layouts.StateEvent.COMM, "curl".getBytes(StandardCharsets.US_ASCII));
        StateEvent e = (StateEvent) decoder.decode(b, 0, Layouts.StateEvent.SIZE);
        assertEquals(5_000, e.timeNs());
        assertEquals(77, e.cookie());
        assertEquals(9, e.cgroupId());
        assertEquals(42, e.pid());
        assertEquals("curl", e.comm());
        assertEquals("198.18.0.2:40000", e.tuple().src());
        assertEquals(TcpState.SYN_SENT.value(), e.oldState());
        assertEquals(TcpState.CLOSE.value(), e.newState());
        assertEquals(3_000_123_000L, e.durationNs());
        assertEquals(HandshakeFailure.TIMED_OUT, e.failure());
        assertEquals(110, e.skErr());

        b.putLong(Layouts.StateEvent.DURATION_NS, 0);
        b.put(Layouts.StateEvent.FAILURE, (byte) 0);
        StateEvent unknown = (StateEvent) decoder.decode(b, 0, Layouts.StateEvent.SIZE);
        assertFalse(unknown.durationKnown());
        assertNull(unknown.failure());
        assertThrows(IllegalArgumentException.class, () -> decoder.decode(b, 0, Layouts.StateEvent.SIZE - 8));
    }

    @Test
    void decodesAPacketRecord() {
        ByteBuffer b = buf(Layouts.PacketEvent.SIZE);
        header(b, RecordType.PACKET.value(), 42, 1000, 7, 99);
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET, A4, 5201, B4, 40000);
        b.putInt(Layouts.PacketEvent.SEQ, 0xFFFFFFF0);
        b.putInt(Layouts.PacketEvent.ACK, 5);
        b.putInt(Layouts.PacketEvent.LEN, 1448);
        b.put(Layouts.PacketEvent.DIRECTION, (byte) 0);
        b.put(Layouts.PacketEvent.PROTOCOL, (byte) 6);
        long[] stamps = {100, 250, 0, 700, 1000};
        for (int i = 0; i < 5; i++) {
            b.putLong(Layouts.PacketEvent.STAMPS + 8 * i, stamps[i]);
        }
        b.put(Layouts.PacketEvent.COMM, "iperf3".getBytes(StandardCharsets.US_ASCII));
        PacketEvent p = (PacketEvent) decoder.decode(b, 0, b.capacity());
        assertEquals(Direction.RX, p.direction());
        assertEquals(0xFFFFFFF0L, p.seq(), "sequence numbers are unsigned");
        assertEquals(1448, p.len());
        assertEquals(42, p.pid());
        assertEquals("iperf3", p.comm());
        assertEquals(7, p.cookie());
        assertEquals(99, p.cgroupId());
        assertEquals("198.18.0.1:5201", p.tuple().src());
        assertEquals("198.18.0.2:40000", p.tuple().dst());
        assertEquals("ipv4", p.tuple().familyName());
        assertEquals(150, p.layerNs(Layer.RX_LINK));
        assertEquals(-1, p.layerNs(Layer.RX_IP), "a missing boundary leaves its layers unknown");
        assertEquals(-1, p.layerNs(Layer.RX_TCP));
        assertEquals(300, p.layerNs(Layer.RX_SOCKET));
        assertEquals(900, p.totalNs());
        assertNull(p.http());
        assertEquals(Transport.TCP, p.transport());

        b.put(Layouts.PacketEvent.PROTOCOL, (byte) 17);
        PacketEvent udp = (PacketEvent) decoder.decode(b, 0, b.capacity());
        assertEquals(Transport.UDP, udp.transport());
        assertEquals("udp", Layer.RX_TCP.label(udp.transport()), "a datagram's transport layer");
        b.put(Layouts.PacketEvent.PROTOCOL, (byte) 1);
        assertThrows(IllegalArgumentException.class, () -> decoder.decode(b, 0, b.capacity()),
                "a packet record of another protocol is malformed");
    }

    @Test
    void decodesAnIcmpRecord() {
        ByteBuffer b = buf(Layouts.IcmpEvent.SIZE);
        header(b, RecordType.ICMP.value(), 5120, 1000, 0, 99);
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET, B4, 0, A4, 0);
        b.putLong(Layouts.IcmpEvent.LATENCY_NS, 58_902);
        b.putInt(Layouts.IcmpEvent.NETNS, (int) 4026532744L);
        b.putInt(Layouts.IcmpEvent.CPU, 1);
        b.putInt(Layouts.IcmpEvent.TASK_PID, 5121);
        b.putInt(Layouts.IcmpEvent.TASK_TGID, 5120);
        b.putShort(Layouts.IcmpEvent.ID, (short) 0xBEEF);
        b.putShort(Layouts.IcmpEvent.SEQ, (short) 65535);
        b.put(Layouts.IcmpEvent.SIDE, (byte) IcmpSide.REQUESTER.value());
        b.put(Layouts.IcmpEvent.TASK_COMM, "ping".getBytes(StandardCharsets.US_ASCII));
        b.put(Layouts.IcmpEvent.COMM, "ping".getBytes(StandardCharsets.US_ASCII));
        IcmpEvent e = (IcmpEvent) decoder.decode(b, 0, b.capacity());
        assertEquals(IcmpSide.REQUESTER, e.side());
        assertEquals(0xBEEF, e.id(), "identifiers are unsigned");
        assertEquals(65535, e.seq());
        assertEquals(58_902, e.latencyNs());
        assertEquals(4026532744L, e.netns(), "namespace inodes are unsigned");
        assertEquals(1, e.cpu());
        assertEquals(5121, e.taskPid());
        assertEquals(5120, e.taskTgid());
        assertEquals("ping", e.taskComm());
        assertEquals("ping", e.comm());
        assertEquals(5120, e.pid());
        assertEquals(99, e.cgroupId());
        assertEquals("198.18.0.2", e.tuple().srcAddress());
        assertEquals(0, e.cookie());
    }

    @Test
    void decodesADnsRecordWithItsWireFormatName() {
        ByteBuffer b = buf(Layouts.DnsEvent.SIZE);
        header(b, RecordType.DNS.value(), 4321, 2000, 777, 42);
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET, A4, 40000, B4, 53);
        b.putLong(Layouts.DnsEvent.LATENCY_NS, 812_345);
        b.putShort(Layouts.DnsEvent.ID, (short) 0xBEEF);
        b.putShort(Layouts.DnsEvent.QTYPE, (short) 28);
        b.putShort(Layouts.DnsEvent.ANCOUNT, (short) 3);
        byte[] name = {3, 'a', 'p', 'i', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
        b.putShort(Layouts.DnsEvent.NAME_LEN, (short) name.length);
        b.put(Layouts.DnsEvent.NAME, name);
        b.put(Layouts.DnsEvent.RCODE, (byte) 3);
        b.put(Layouts.DnsEvent.OUTCOME, (byte) DnsOutcome.ANSWERED.value());
        b.put(Layouts.DnsEvent.PROTOCOL, (byte) 17);
        b.put(Layouts.DnsEvent.COMM, "curl".getBytes(StandardCharsets.US_ASCII));
        DnsEvent e = (DnsEvent) decoder.decode(b, 0, b.capacity());
        assertEquals("api.example", e.name());
        assertEquals(0xBEEF, e.id(), "ids are unsigned");
        assertEquals(28, e.qtype());
        assertEquals(3, e.ancount());
        assertEquals(3, e.rcode());
        assertEquals(DnsOutcome.ANSWERED, e.outcome());
        assertEquals(17, e.protocol());
        assertEquals(812_345, e.latencyNs());
        assertEquals("curl", e.comm());
        assertEquals(4321, e.pid());
        assertEquals(777, e.cookie());
        assertEquals(42, e.cgroupId());
        assertEquals("198.18.0.2", e.tuple().dstAddress(), "the server");
        assertEquals(53, e.tuple().dport());

        b.putShort(Layouts.DnsEvent.NAME_LEN, (short) 0);
        b.put(Layouts.DnsEvent.OUTCOME, (byte) DnsOutcome.TIMED_OUT.value());
        DnsEvent off = (DnsEvent) decoder.decode(b, 0, b.capacity());
        assertEquals("", off.name(), "names off: none copied");
        assertEquals(DnsOutcome.TIMED_OUT, off.outcome());
    }

    @Test
    void httpLinesAreUtf8WithReplacementForBrokenSequences() {
        for (String[] c : new String[][] {
            {"GET /caf\u00e9/\u4e2d\u6587 HTTP/1.1\r\nHost: x", "GET /caf\u00e9/\u4e2d\u6587 HTTP/1.1"},
            {"GET /\u00ff HTTP/1.1", "GET /\u00ff HTTP/1.1"}}) {
            assertEquals(c[1], http(c[0].getBytes(StandardCharsets.UTF_8)), "UTF-8 paths, not mojibake");
        }
        byte[] broken = {'G', 'E', 'T', ' ', '/', (byte) 0xC3, ' ', (byte) 0xE4, (byte) 0xB8};
        assertEquals("GET /\uFFFD \uFFFD", http(broken), "invalid and cut-off sequences become U+FFFD");
    }

    private String http(byte[] line) {
        ByteBuffer b = buf(Layouts.PacketEvent.SIZE);
        header(b, RecordType.PACKET.value(), 1, 1, 1, 1);
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET, A4, 80, B4, 40000);
        int n = Math.min(line.length, Layouts.HTTP_LEN);
        b.put(Layouts.PacketEvent.HTTP, line, 0, n);
        b.put(Layouts.PacketEvent.HTTP_LEN, (byte) n);
        b.put(Layouts.PacketEvent.PROTOCOL, (byte) 6);
        return ((PacketEvent) decoder.decode(b, 0, b.capacity())).http();
    }

    @Test
    void anIpv6SocketTalkingIpv4IsReportedAsIpv4() {
        ByteBuffer b = buf(Layouts.ConnEvent.SIZE);
        header(b, RecordType.CONN.value(), 1, 1, 1, 1);
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET6, A4, 80, B4, 1234); // mapped addresses, AF_INET6
        b.put(Layouts.ConnEvent.EVENT, (byte) 1);
        ConnEvent c = (ConnEvent) decoder.decode(b, 0, b.capacity());
        assertEquals("ipv4", c.tuple().familyName());
        assertEquals("198.18.0.1:80", c.tuple().src());
    }

    @Test
    void decodesIpv6AndConnectionStats() {
        ByteBuffer b = buf(Layouts.ConnEvent.SIZE);
        header(b, RecordType.CONN.value(), 5, 5_000_000_000L, 11, 3);
        byte[] s = new byte[16];
        byte[] d = new byte[16];
        s[0] = 0x20;
        s[1] = 0x01;
        s[2] = 0x0d;
        s[3] = (byte) 0xb8;
        s[15] = 1;
        System.arraycopy(s, 0, d, 0, 16);
        d[15] = 2;
        tuple(b, Layouts.EventHdr.T, Tuple.AF_INET6, s, 443, d, 50000);
        b.put(Layouts.ConnEvent.EVENT, (byte) 2);
        b.put(Layouts.ConnEvent.OLDSTATE, (byte) 9);
        int c = Layouts.ConnEvent.C;
        b.putLong(c + Layouts.Conn.START_NS, 2_000_000_000L);
        b.putLong(c + Layouts.Conn.BYTES_ACKED, 1L << 40);
        b.putInt(c + Layouts.Conn.SRTT_US, 1234);
        b.putInt(c + Layouts.Conn.CWND, 10);
        b.putInt(c + Layouts.Conn.SSTHRESH, -1);
        b.putInt(c + Layouts.Conn.FAST_RETRANS, 3);
        b.put(c + Layouts.Conn.ROLE, (byte) 2);
        b.put(c + Layouts.Conn.STATE, (byte) 7);
        b.put(c + Layouts.Conn.ESTABLISHED, (byte) 1);
        ConnEvent e = (ConnEvent) decoder.decode(b, 0, b.capacity());
        assertEquals(ConnEvent.Kind.CLOSE, e.kind());
        assertEquals("[2001:db8::1]:443", e.tuple().src());
        assertEquals("[2001:db8::2]:50000", e.tuple().dst());
        assertEquals(1L << 40, e.stats().bytesSent());
        assertEquals(4294967295L, e.stats().ssthresh(), "u32 fields are unsigned");
        assertEquals(Role.SERVER, e.stats().role());
        assertEquals("CLOSE", TcpState.name(e.stats().state()));
        assertEquals("LAST_ACK", TcpState.name(e.oldState()));
        assertEquals(3000, e.durationMs());
        assertTrue(e.stats().established());
    }

    @Test
    void decodesErrorRecords() {
        ByteBuffer b = buf(Layouts.ErrorEvent.SIZE);
        header(b, RecordType.DROP.value(), 0, 1, 0, 0);
        b.putInt(Layouts.ErrorEvent.DETAIL, 12);
        b.putInt(Layouts.ErrorEvent.EXTRA, 6);
        b.putLong(Layouts.ErrorEvent.LOCATION, 0xffffffff81000000L);
        ErrorEvent e = (ErrorEvent) decoder.decode(b, 0, b.capacity());
        assertEquals(ErrorKind.DROP, e.kind());
        assertEquals(12, e.detail());
        assertFalse(e.tuple().isKnown(), "no tuple when the headers were not parsed");
        assertEquals(0xffffffff81000000L, e.location());
    }

    @Test
    void rejectsShortAndUnknownRecords() {
        ByteBuffer b = buf(Layouts.PacketEvent.SIZE);
        header(b, RecordType.PACKET.value(), 0, 0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> decoder.decode(b, 0, 40));
        assertThrows(IllegalArgumentException.class, () -> decoder.decode(b, 0, Layouts.PacketEvent.SIZE - 8));
        header(b, 77, 0, 0, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> decoder.decode(b, 0, b.capacity()));
    }
}
