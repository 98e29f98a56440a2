package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.event.CallCountEvent;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The call_count event as a JSON line and a table row (docs/events.md#call_count). */
class CallCountFormatTest {
    private static final MonotonicClock CLOCK = new MonotonicClock(1_767_225_600_000_000_000L);
    private static final KernelNames NAMES = new KernelNames(new DropReasons(Map.of()), address -> "?");
    private static final IdentityResolver WHO = new IdentityResolver(id -> id == 5 ? "/kubepods.slice/x" : null,
            null, null, NamespaceScope.ALL);
    private static final CallCountEvent C = new CallCountEvent(3_000_000_000L, 1_000_000_000L, 5, 4242, "curl",
            "tcp_sendmsg", 17, 40);

    @Test
    void theJsonLineCarriesTheFunctionTheCallsAndTheProcess() throws Exception {
        String line = new JsonEventFormatter(CLOCK, NAMES).format(C, WHO.resolve(C));
        assertFalse(line.contains("\n"));
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals("call_count", j.get("type").asText());
        assertEquals("2026-01-01T00:00:03.000000Z", j.get("time").asText());
        assertEquals("tcp_sendmsg", j.get("function").asText());
        assertEquals(1000, j.get("interval_ms").asLong());
        assertEquals(17, j.get("count").asLong());
        assertEquals(40, j.get("total").asLong());
        assertEquals(4242, j.get("pid").asInt());
        assertEquals("curl", j.get("comm").asText());
        assertEquals("/kubepods.slice/x", j.get("cgroup").asText());
        assertTrue(line.startsWith("{\"type\":\"call_count\""), "the qemu check greps this prefix: " + line);
        assertEquals("call_count", EventPrinter.typeOf(C));
        assertTrue(EventPrinter.DEFAULT_TYPES.contains("call_count"), "printed by default (only with --count-calls)");
    }

    @Test
    void theTableRowSaysTheSame() {
        String row = new TableFormatter(CLOCK, NAMES).format(C, WHO.resolve(C));
        assertTrue(row.contains("call_count") && row.contains("tcp_sendmsg calls=17 total=40")
                && row.contains("pid=4242") && row.contains("comm=curl") && row.contains("cgroup=/kubepods.slice/x"),
                row);
    }
}
