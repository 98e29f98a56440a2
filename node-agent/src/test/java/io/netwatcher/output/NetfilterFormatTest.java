package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.NetfilterEvent;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.NetfilterHook;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The netfilter event as a JSON line and a table row (docs/events.md#netfilter), and its per-interval delta. */
class NetfilterFormatTest {
    private static final MonotonicClock CLOCK = new MonotonicClock(1_767_225_600_000_000_000L);
    private static final KernelNames NAMES = new KernelNames(new DropReasons(Map.of()), address -> "?");
    private static final long NETNS = 4026532999L;
    /** Cgroup 7 is the pod of the namespace; cgroup 5 a socket's. */
    private static final IdentityResolver WHO = new IdentityResolver(
            id -> id == 5 ? "/kubepods.slice/sock" : id == 7 ? "/kubepods.slice/netns" : null, null, null,
            NamespaceScope.ALL, netns -> netns == NETNS ? 7 : 0);

    /** count - 1 packets of 1500 ns (slot 10: 1024-2047 ns) and one of 8192-16383 ns (slot 13). */
    private static NetfilterHistogram hist(long cgroup, int count) {
        long[] slots = new long[LayerHistogram.SLOTS];
        slots[10] = count - 1;
        slots[13] = 1;
        return new NetfilterHistogram(cgroup, NETNS, true, NetfilterHook.LOCAL_IN, count, 1500L * (count - 1) + 10_000,
                slots);
    }

    @Test
    void theJsonLineCarriesTheHookItsNamespaceAndTheSummary() throws Exception {
        NetfilterEvent e = new NetfilterEvent(3_000_000_000L, 1_000_000_000L, hist(0, 100));
        String line = new JsonEventFormatter(CLOCK, NAMES).format(e, WHO.resolve(e));
        assertFalse(line.contains("\n"));
        assertTrue(line.startsWith("{\"type\":\"netfilter\""), line);
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals("2026-01-01T00:00:03.000000Z", j.get("time").asText());
        assertEquals("ipv6", j.get("family").asText());
        assertEquals("input", j.get("hook").asText());
        assertEquals(NETNS, j.get("netns").asLong());
        assertEquals(1000, j.get("interval_ms").asLong());
        assertEquals(100, j.get("count").asLong());
        assertEquals(1.585, j.get("mean_us").asDouble(), 1e-9); // (99 x 1500 + 10000) / 100 ns
        double p50 = j.get("p50_us").asDouble();
        assertTrue(p50 >= 1.024 && p50 < 2.048, "p50 in the slot of 99 of 100 packets: " + line);
        assertTrue(j.get("p99_us").asDouble() <= 2.048 && j.get("p90_us").asDouble() <= j.get("p99_us").asDouble(), line);
        assertEquals("/kubepods.slice/netns", j.get("cgroup").asText(), "no socket: the namespace's cgroup");
        assertEquals("netfilter", EventPrinter.typeOf(e));
        assertTrue(EventPrinter.DEFAULT_TYPES.contains("netfilter"), "printed by default (only with --netfilter-times)");
    }

    @Test
    void aSocketsPacketsAreItsCgroups() throws Exception {
        NetfilterEvent e = new NetfilterEvent(3_000_000_000L, 1_000_000_000L, hist(5, 10));
        JsonNode j = new ObjectMapper().readTree(new JsonEventFormatter(CLOCK, NAMES).format(e, WHO.resolve(e)));
        assertEquals("/kubepods.slice/sock", j.get("cgroup").asText());
    }

    @Test
    void theTableRowSaysTheSame() {
        NetfilterEvent e = new NetfilterEvent(3_000_000_000L, 1_000_000_000L, hist(0, 100));
        String row = new TableFormatter(CLOCK, NAMES).format(e, WHO.resolve(e));
        assertTrue(row.contains("netfilter") && row.contains("ipv6 input") && row.contains("netns=" + NETNS)
                && row.contains("n=100") && row.contains("cgroup=/kubepods.slice/netns"), row);
    }

    @Test
    void anIntervalIsTheDifferenceOfTwoReadings() {
        NetfilterHistogram a = hist(0, 100);
        NetfilterHistogram b = hist(0, 250);
        NetfilterHistogram d = b.minus(a);
        assertEquals(150, d.count());
        assertEquals(150L * 1500, d.sumNs());
        assertEquals(150, d.slots()[10]);
        assertEquals(0, d.slots()[13]);
        assertEquals(a.key(), d.key());
        assertSame(b, b.minus(null), "a first reading is its own interval");
        assertSame(a, a.minus(b), "an entry evicted and counted again from zero: the new reading");
    }
}
