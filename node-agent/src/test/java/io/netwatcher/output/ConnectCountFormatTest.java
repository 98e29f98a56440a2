package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.event.ConnectCountEvent;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.Tuple;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The connect_count event as a JSON line and a table row (docs/events.md#connect_count). */
class ConnectCountFormatTest {
    private static final MonotonicClock CLOCK = new MonotonicClock(1_767_225_600_000_000_000L);
    private static final KernelNames NAMES = new KernelNames(new DropReasons(Map.of()), address -> "?");
    private static final IdentityResolver WHO = new IdentityResolver(id -> id == 5 ? "/kubepods.slice/x" : null,
            null, null, NamespaceScope.ALL);
    /** 198.18.1.2 -> 198.18.1.1:443 as an IPv6 socket holds them (IPv4-mapped). */
    private static final Tuple V4 = Tuple.of(Tuple.AF_INET6, 0, 0xFFFF_C612_0102L, 0, 0, 0xFFFF_C612_0101L, 443);
    private static final ConnectCountEvent C = new ConnectCountEvent(3_000_000_000L, 5_000_000_000L, 5, V4, 3, 10);

    @Test
    void theJsonLineHasTcpconnectsColumns() throws Exception {
        String line = new JsonEventFormatter(CLOCK, NAMES).format(C, WHO.resolve(C));
        assertFalse(line.contains("\n"));
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals("connect_count", j.get("type").asText());
        assertEquals("2026-01-01T00:00:03.000000Z", j.get("time").asText());
        assertEquals("ipv4", j.get("family").asText());
        assertEquals("198.18.1.2", j.get("laddr").asText());
        assertEquals("198.18.1.1", j.get("raddr").asText());
        assertEquals(443, j.get("rport").asInt());
        assertEquals(5000, j.get("interval_ms").asLong());
        assertEquals(3, j.get("connects").asLong());
        assertEquals(10, j.get("total").asLong());
        assertEquals("/kubepods.slice/x", j.get("cgroup").asText());
        assertFalse(j.has("pid"), "a cgroup's count has no process");
        assertEquals("connect_count", EventPrinter.typeOf(C));
        assertTrue(EventPrinter.DEFAULT_TYPES.contains("connect_count"), "printed by default");
    }

    @Test
    void theTableRowSaysTheSame() {
        String row = new TableFormatter(CLOCK, NAMES).format(C, WHO.resolve(C));
        assertTrue(row.contains("connects") && row.contains("198.18.1.2 ") && row.contains("198.18.1.1:443")
                && row.contains("connects=3 total=10") && row.contains("cgroup=/kubepods.slice/x"), row);
    }
}
