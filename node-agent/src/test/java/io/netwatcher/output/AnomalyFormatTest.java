package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.event.AnomalyEvent;
import io.netwatcher.event.Direction;
import io.netwatcher.event.Layer;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The anomaly event as a JSON line and a table row (docs/events.md#anomaly). */
class AnomalyFormatTest {
    private static final MonotonicClock CLOCK = new MonotonicClock(1_767_225_600_000_000_000L);
    private static final KernelNames NAMES = new KernelNames(new DropReasons(Map.of()), address -> "?");
    private static final IdentityResolver WHO = new IdentityResolver(id -> id == 5 ? "/kubepods.slice/x" : null,
            null, null, NamespaceScope.ALL);
    private static final AnomalyEvent A = new AnomalyEvent(3_000_000_000L, 1_000_000_000L, 5, Direction.TX,
            Layer.TX_QDISC, 147, 7_874_806, 4_914, 104_915, 14);

    @Test
    void theJsonLineCarriesTheObservedAndTheExpectedP99AndTheBand() throws Exception {
        String line = new JsonEventFormatter(CLOCK, NAMES).format(A, WHO.resolve(A));
        assertFalse(line.contains("\n"));
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals("anomaly", j.get("type").asText());
        assertEquals("2026-01-01T00:00:03.000000Z", j.get("time").asText());
        assertEquals("tx", j.get("direction").asText());
        assertEquals("qdisc", j.get("layer").asText());
        assertEquals(1000, j.get("interval_ms").asLong());
        assertEquals(147, j.get("count").asLong());
        assertEquals(7874.806, j.get("p99_us").asDouble(), 1e-9);
        assertEquals(4.914, j.get("expected_p99_us").asDouble(), 1e-9);
        assertEquals(104.915, j.get("band_p99_us").asDouble(), 1e-9);
        assertEquals(14, j.get("intervals").asInt());
        assertEquals("/kubepods.slice/x", j.get("cgroup").asText());
        assertFalse(j.has("pid"), "a cgroup's aggregate has no process");
        assertEquals("anomaly", EventPrinter.typeOf(A));
        assertTrue(EventPrinter.DEFAULT_TYPES.contains("anomaly"), "printed by default");
    }

    @Test
    void theTableRowSaysTheSame() {
        String row = new TableFormatter(CLOCK, NAMES).format(A, WHO.resolve(A));
        assertTrue(row.contains("anomaly") && row.contains("tx qdisc") && row.contains("n=147")
                && row.contains("p99=7874.806us") && row.contains("expected=4.914us")
                && row.contains("band=104.915us") && row.contains("cgroup=/kubepods.slice/x"), row);
    }
}
