package io.netwatcher.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netwatcher.event.ConnectCountEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.Tuple;
import io.netwatcher.kernel.ConnectCountMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-interval connect counts from the kernel's running counts, and idle entries deleted. */
class ConnectCountsTest {
    private static final long S = 1_000_000_000L;
    private static final Tuple A = Tuple.of(Tuple.AF_INET, 0, 0xFFFF_C612_0102L, 0, 0, 0xFFFF_C612_0101L, 80);
    private static final Tuple B = Tuple.of(Tuple.AF_INET, 0, 0xFFFF_C612_0102L, 0, 0, 0xFFFF_C612_0101L, 443);

    /** A fake map: keys are the tuple's port, one byte. */
    private final Map<Tuple, Long> kernel = new HashMap<>();
    private final List<Integer> deleted = new ArrayList<>();
    private final List<Event> out = new ArrayList<>();
    private final ConnectCounts counts = new ConnectCounts(this::read, this::delete, 60 * S);

    private List<ConnectCountMap.Entry> read() {
        List<ConnectCountMap.Entry> l = new ArrayList<>();
        kernel.forEach((t, n) -> l.add(new ConnectCountMap.Entry(7, t, n, new byte[] {(byte) t.dport()})));
        return l;
    }

    private boolean delete(byte[] key) {
        int port = Byte.toUnsignedInt(key[0]);
        deleted.add(port);
        return kernel.keySet().removeIf(t -> (t.dport() & 0xFF) == port);
    }

    private List<String> poll(long nowNs) {
        out.clear();
        counts.poll(nowNs, 5 * S, out::add);
        return out.stream().map(e -> (ConnectCountEvent) e)
                .map(c -> c.cgroupId() + " :" + c.tuple().dport() + " " + c.connects() + "/" + c.total()).sorted()
                .toList();
    }

    @Test
    void eachIntervalReportsTheConnectsSinceTheLastRead() {
        kernel.put(A, 3L);
        assertEquals(List.of("7 :80 3/3"), poll(5 * S));
        kernel.put(A, 5L);
        kernel.put(B, 1L);
        assertEquals(List.of("7 :443 1/1", "7 :80 2/5"), poll(10 * S));
        assertEquals(List.of(), poll(15 * S), "no connect: no event");
        kernel.put(B, 4L);
        assertEquals(List.of("7 :443 3/4"), poll(20 * S));
        assertEquals(List.of(), deleted);
    }

    @Test
    void anEntryIdleForAMinuteIsDeletedAndStartsAgain() {
        kernel.put(A, 2L);
        kernel.put(B, 1L);
        assertEquals(List.of("7 :443 1/1", "7 :80 2/2"), poll(5 * S));
        kernel.put(B, 2L);
        assertEquals(List.of("7 :443 1/2"), poll(30 * S));
        assertEquals(List.of(), poll(64 * S));
        assertEquals(List.of(), deleted, "idle 59 s");
        assertEquals(List.of(), poll(65 * S));
        assertEquals(List.of(80), deleted, "idle 60 s: A, not B");
        kernel.put(A, 1L);
        assertEquals(List.of("7 :80 1/1"), poll(70 * S), "counted again from its next connect");
    }
}
