package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Event;
import io.netwatcher.event.HandshakeFailure;
import io.netwatcher.event.DnsEvent;
import io.netwatcher.event.DnsOutcome;
import io.netwatcher.event.IcmpEvent;
import io.netwatcher.event.IcmpSide;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Transport;
import io.netwatcher.event.Role;
import io.netwatcher.event.StateEvent;
import io.netwatcher.event.Tuple;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.identity.NetnsCgroups;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import io.netwatcher.names.TcpState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonEventFormatterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 2026-01-01T00:00:00Z at monotonic 0. */
    private static final MonotonicClock CLOCK = new MonotonicClock(1_767_225_600_000_000_000L);
    private static final KernelNames NAMES = new KernelNames(new DropReasons(Map.of(12, "NETFILTER_DROP")),
            address -> "nf_hook_slow+0x10");
    /** Standalone: cgroup 5 has a path. */
    private static final IdentityResolver WHO = new IdentityResolver(id -> id == 5 ? "/kubepods.slice/x" : null,
            null, null, NamespaceScope.ALL);
    private final JsonEventFormatter f = new JsonEventFormatter(CLOCK, NAMES);

    private String format(Event e) {
        return f.format(e, WHO.resolve(e));
    }

    /** local 198.18.0.1:5201, remote 198.18.0.2:40000 */
    static final Tuple LOCAL_FIRST = new Tuple(Tuple.AF_INET, 0, 0x0000FFFFC6120001L, 5201, 0, 0x0000FFFFC6120002L,
            40000);

    private JsonNode parse(String s) throws Exception {
        assertFalse(s.contains("\n"), "one line");
        return JSON.readTree(s);
    }

    @Test
    void aStateTransitionCarriesTheTimeInTheStateLeftAndAFailedHandshakesCause() throws Exception {
        JsonNode j = parse(format(new StateEvent(2_000, 77, 5, 9, "curl", LOCAL_FIRST, TcpState.SYN_SENT.value(),
                TcpState.CLOSE.value(), 3_000_001_500L, HandshakeFailure.TIMED_OUT, 110)));
        assertEquals("state", j.get("type").asText());
        assertEquals("SYN_SENT", j.get("old_state").asText());
        assertEquals("CLOSE", j.get("new_state").asText());
        assertEquals(3_000_001.5, j.get("duration_us").asDouble());
        assertEquals("timed_out", j.get("handshake_failure").asText());
        assertEquals(110, j.get("error").asInt());
        assertEquals("198.18.0.1:5201", j.get("src").asText());
        assertEquals(77, j.get("cookie").asLong());
        assertEquals("curl", j.get("comm").asText());

        JsonNode first = parse(format(new StateEvent(2_000, 77, 5, 0, "", LOCAL_FIRST, TcpState.CLOSE.value(),
                TcpState.SYN_SENT.value(), 0, null, 0)));
        assertTrue(first.get("duration_us").isNull(), "the time in CLOSE before connect() is not known");
        assertFalse(first.has("handshake_failure"));
        assertFalse(first.has("error"));
    }

    @Test
    void aUdpDatagramSaysItsProtocolHasNoSequenceAndAUdpTransportLayer() throws Exception {
        PacketEvent p = new PacketEvent(0, 77, 5, 9, "srv", LOCAL_FIRST, Direction.RX, 0, 0, 1184,
                new long[] {1_000, 2_500, 3_000, 4_000, 10_000}, null, Transport.UDP);
        JsonNode j = parse(format(p));
        assertEquals("udp", j.get("protocol").asText());
        assertFalse(j.has("seq") || j.has("ack"), "a datagram has no sequence numbers");
        assertEquals(1184, j.get("len").asLong());
        assertEquals(1.0, j.get("layers_us").get("udp").asDouble(), "transport entry to queued");
        assertFalse(j.get("layers_us").has("tcp"));
        assertEquals("tcp", parse(format(new PacketEvent(0, 77, 5, 9, "srv", LOCAL_FIRST, Direction.RX, 1, 2, 1448,
                new long[] {1_000, 2_500, 0, 4_000, 10_000}, null))).get("protocol").asText());
    }

    @Test
    void aReceivedPacketReadsFromSenderToReceiverWithLayersInMicroseconds() throws Exception {
        PacketEvent p = new PacketEvent(0, 77, 5, 9, "srv", LOCAL_FIRST, Direction.RX, 1, 2, 1448,
                new long[] {1_000, 2_500, 0, 4_000, 10_000}, null);
        JsonNode j = parse(format(p));
        assertEquals("packet", j.get("type").asText());
        assertEquals("2026-01-01T00:00:00.000001Z", j.get("time").asText(), "time of the first boundary");
        assertEquals("rx", j.get("direction").asText());
        assertEquals("198.18.0.2:40000", j.get("src").asText(), "the sender");
        assertEquals("198.18.0.1:5201", j.get("dst").asText());
        assertEquals(1.5, j.get("layers_us").get("link").asDouble());
        assertFalse(j.get("layers_us").has("ip"), "unknown layers are left out");
        assertEquals(6.0, j.get("layers_us").get("socket").asDouble());
        assertEquals(9.0, j.get("total_us").asDouble());
        assertEquals(77, j.get("cookie").asLong());
        assertEquals(9, j.get("pid").asInt());
        assertEquals("srv", j.get("comm").asText());
        assertEquals("/kubepods.slice/x", j.get("cgroup").asText());
    }

    @Test
    void connectionEventsCarryTheStatsAndDuration() throws Exception {
        ConnStats s = new ConnStats(1_000_000_000L, 0, 0, 100, 200, 100, 200, 150, 20, 10, 4294967295L, 65535, 64000,
                3, 2, 1, 0, 0, 128, 87040, 0, 131072, 0, 123, 1000, "curl", Role.CLIENT, 7, true);
        ConnEvent c = new ConnEvent(ConnEvent.Kind.CLOSE, 3_500_000_000L, 5, LOCAL_FIRST, 9, s);
        JsonNode j = parse(format(c));
        assertEquals("connection", j.get("type").asText());
        assertEquals("close", j.get("event").asText());
        assertEquals("198.18.0.1:5201", j.get("src").asText(), "local first");
        assertEquals("client", j.get("role").asText());
        assertEquals(2500, j.get("duration_ms").asLong());
        assertEquals(100, j.get("bytes_sent").asLong());
        assertEquals(3, j.get("retransmits").asLong());
        assertEquals(2, j.get("fast_retransmits").asLong());
        assertEquals(1, j.get("timeout_retransmits").asLong());
        assertEquals("CLOSE", j.get("state").asText());
        assertEquals("LAST_ACK", j.get("previous_state").asText());
        assertEquals("curl", j.get("comm").asText());
        assertTrue(j.get("ssthresh").isNumber());
    }

    @Test
    void errorEventsNameTheirKind() throws Exception {
        ErrorEvent drop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "", LOCAL_FIRST.reversed(), 12, 0, 9, 6, 0x1);
        JsonNode j = parse(format(drop));
        assertEquals("drop", j.get("type").asText());
        assertEquals("NETFILTER_DROP", j.get("reason").asText());
        assertEquals("tcp", j.get("protocol").asText());
        assertEquals("nf_hook_slow+0x10", j.get("location").asText());
        assertEquals("198.18.0.2:40000", j.get("src").asText());

        ErrorEvent rt = new ErrorEvent(ErrorKind.RETRANSMIT, 0, 1, 0, 0, "", LOCAL_FIRST, 2, 1, 99, 4 | (3 << 8), 0);
        j = parse(format(rt));
        assertEquals("retransmit", j.get("type").asText());
        assertEquals("timeout", j.get("kind").asText());
        assertEquals("Loss", j.get("ca_state").asText());
        assertEquals(3, j.get("segments").asInt());

        ErrorEvent rst = new ErrorEvent(ErrorKind.RESET, 0, 1, 0, 0, "", LOCAL_FIRST, 1, 2, 0, 0, 0);
        assertEquals("received", parse(format(rst)).get("direction").asText());
        ErrorEvent none = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "", Tuple.NONE, 2, 0, 0, 0, 0);
        assertTrue(parse(format(none)).get("src").isNull());
    }

    @Test
    void packetLevelEventsCarryTheSegmentsNumbers() throws Exception {
        ErrorEvent drop = new ErrorEvent(ErrorKind.DROP, 0, 7, 0, 0, "", LOCAL_FIRST.reversed(), 42, 1, 4_000_000_000L,
                6, 0x1, 3_000_000_000L, 100, 0x18);
        JsonNode j = parse(format(drop));
        assertEquals(4_000_000_000L, j.get("seq").asLong());
        assertEquals(3_000_000_000L, j.get("ack").asLong());
        assertEquals(100, j.get("len").asLong());
        assertEquals("PSH|ACK", j.get("tcp_flags").asText());
        assertEquals("198.18.0.2:40000", j.get("src").asText(), "sender first");

        ErrorEvent benign = new ErrorEvent(ErrorKind.BENIGN_DROP, 0, 0, 0, 0, "", LOCAL_FIRST.reversed(), 3, 0, 0, 1,
                0x1);
        j = parse(format(benign));
        assertEquals("benign_drop", j.get("type").asText());
        assertEquals("icmp", j.get("protocol").asText());
        assertTrue(j.get("seq") == null, "no TCP numbers for ICMP");

        ErrorEvent bad = new ErrorEvent(ErrorKind.BAD_CHECKSUM, 0, 0, 0, 0, "", LOCAL_FIRST.reversed(), 0, 0, 12345, 6,
                0, 0, 0, 0x02);
        j = parse(format(bad));
        assertEquals(12345, j.get("seq").asLong());
        assertEquals("SYN", j.get("tcp_flags").asText());
        assertEquals("198.18.0.2:40000", j.get("src").asText(), "bad checksums are oriented like drops");
        assertEquals("FIN|SYN|RST|PSH|ACK|URG|ECE|CWR", JsonEventFormatter.tcpFlags(0xff));
        assertEquals("", JsonEventFormatter.tcpFlags(0));
    }

    @Test
    void stringsAreEscaped() throws Exception {
        ConnStats s = new ConnStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
                "a\"b\\c\n\u0001", Role.UNKNOWN, 1, true);
        JsonNode j = parse(format(new ConnEvent(ConnEvent.Kind.UPDATE, 0, 1, LOCAL_FIRST, 1, s)));
        assertEquals("a\"b\\c\n\u0001", j.get("comm").asText());
        assertTrue(j.get("duration_ms").isNull(), "start unknown");
    }

    @Test
    void anIcmpResponderSideIsPlacedByItsNamespaceAndCarriesTheInterruptedTask() throws Exception {
        IdentityResolver byNetns = new IdentityResolver(id -> id == 5 ? "/kubepods.slice/x" : null, null, null,
                NamespaceScope.ALL, netns -> netns == 4026532001L ? 5 : NetnsCgroups.UNKNOWN);
        IcmpEvent e = new IcmpEvent(0, 0, 0, "", new Tuple(Tuple.AF_INET, 0, 0x0000FFFFC6120001L, 0, 0,
                0x0000FFFFC6120002L, 0), IcmpSide.RESPONDER, 4242, 3, 21_318, 4026532001L, 1, 0, 0, "swapper/1");
        JsonNode j = parse(f.format(e, byNetns.resolve(e)));
        assertEquals("icmp", j.get("type").asText());
        assertEquals("responder", j.get("side").asText());
        assertEquals("ipv4", j.get("family").asText());
        assertEquals("198.18.0.1", j.get("src").asText(), "the responder, local first, no port");
        assertEquals("198.18.0.2", j.get("dst").asText());
        assertEquals(4242, j.get("id").asInt());
        assertEquals(3, j.get("seq").asInt());
        assertEquals(21.318, j.get("latency_us").asDouble());
        assertEquals(1, j.get("cpu").asInt());
        assertEquals("swapper/1", j.get("task_comm").asText());
        assertEquals(4026532001L, j.get("netns").asLong());
        assertFalse(j.has("pid"), "the kernel answered: no process");
        assertEquals("/kubepods.slice/x", j.get("cgroup").asText(), "the namespace's cgroup");
    }

    @Test
    void aDnsEventNamesItsQuestionCodeAndServer() throws Exception {
        Tuple t = new Tuple(Tuple.AF_INET, 0, 0x0000FFFFC6120002L, 40000, 0, 0x0000FFFFC6120001L, 53);
        DnsEvent e = new DnsEvent(0, 77, 5, 1234, "curl", t, 17, 0xBEEF, 28, "api.example.com", DnsOutcome.ANSWERED,
                3, 0, 812_345);
        JsonNode j = parse(f.format(e, WHO.resolve(e)));
        assertEquals("dns", j.get("type").asText());
        assertEquals("answered", j.get("outcome").asText());
        assertEquals("udp", j.get("protocol").asText());
        assertEquals("198.18.0.2", j.get("src").asText(), "the client");
        assertEquals("198.18.0.1", j.get("server").asText());
        assertEquals(53, j.get("dport").asInt());
        assertEquals(0xBEEF, j.get("id").asInt());
        assertEquals("api.example.com", j.get("name").asText());
        assertEquals("AAAA", j.get("qtype").asText());
        assertEquals("NXDOMAIN", j.get("rcode").asText());
        assertEquals(0, j.get("answers").asInt());
        assertEquals(812.345, j.get("latency_us").asDouble());
        assertEquals(1234, j.get("pid").asInt());
        assertEquals("curl", j.get("comm").asText());

        DnsEvent timeout = new DnsEvent(0, 77, 5, 1234, "curl", t, 6, 7, 1, "", DnsOutcome.TIMED_OUT, 0, 0,
                5_000_000_000L);
        JsonNode k = parse(f.format(timeout, WHO.resolve(timeout)));
        assertEquals("timeout", k.get("outcome").asText());
        assertEquals("tcp", k.get("protocol").asText());
        assertFalse(k.has("name"), "names off: no name field");
        assertFalse(k.has("rcode"), "no response: no code");
        assertFalse(k.has("answers"));
    }
}
