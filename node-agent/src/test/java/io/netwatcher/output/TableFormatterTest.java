package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.Direction;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A process name or cgroup path cannot forge table rows or reach the terminal as control characters. */
class TableFormatterTest {
    private static final String HOSTILE = "evil\n12:00:00.000 packet/rx  1.2.3.4:80\u001b[2J\u0007\u009b\\";

    private final KernelNames names = new KernelNames(new DropReasons(Map.of()), address -> "kfree_skb");
    private final IdentityResolver who = new IdentityResolver(id -> "/system.slice/" + HOSTILE + ".service", null, null,
            NamespaceScope.ALL);
    private final TableFormatter table = new TableFormatter(new MonotonicClock(0), names);

    @Test
    void controlCharactersAreEscapedAsJsonDoes() {
        PacketEvent p = new PacketEvent(1, 1, 5, 42, HOSTILE, JsonEventFormatterTest.LOCAL_FIRST, Direction.TX, 0, 0,
                1, new long[] {1, 2, 3, 4, 0}, "GET /caf\u00e9\r\u001b]0;owned\u0007 HTTP/1.1");
        String line = table.format(p, who.resolve(p));
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.chars().noneMatch(c -> c < 0x20 || c >= 0x7F && c < 0xA0), "no control character: " + line);
        String escaped = "evil\\n12:00:00.000 packet/rx  1.2.3.4:80\\u001b[2J\\u0007\\u009b\\\\";
        assertTrue(line.contains(" comm=" + escaped), line);
        assertTrue(line.contains(" cgroup=/system.slice/" + escaped + ".service"), line);
        assertTrue(line.contains(" http=\"GET /caf\u00e9\\r\\u001b]0;owned\\u0007 HTTP/1.1\""), "UTF-8 kept: " + line);
    }

    @Test
    void plainNamesAreUnchanged() {
        assertEquals("nginx: worker", TableFormatter.escape("nginx: worker"));
        assertEquals("caf\u00e9 \u4e2d", TableFormatter.escape("caf\u00e9 \u4e2d"));
        assertFalse(TableFormatter.escape("a\tb").contains("\t"));
    }
}
