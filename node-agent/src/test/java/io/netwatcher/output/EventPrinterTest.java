package io.netwatcher.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Direction;
import io.netwatcher.event.ErrorEvent;
import io.netwatcher.event.ErrorKind;
import io.netwatcher.event.Event;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Role;
import io.netwatcher.event.Who;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventPrinterTest {
    private final MonotonicClock clock = new MonotonicClock(0);
    private final KernelNames names = new KernelNames(new DropReasons(Map.of()));
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicInteger limits = new AtomicInteger();

    private EventPrinter printer(Set<String> types, boolean all, int pid, long max) {
        return EventPrinter.builder(out).json(new JsonEventFormatter(clock, names)).types(types).all(all).pid(pid)
                .maxPackets(max, limits::incrementAndGet).build();
    }

    private static PacketEvent packet(int pid) {
        return new PacketEvent(1, 1, 0, pid, "x", JsonEventFormatterTest.LOCAL_FIRST, Direction.TX, 0, 0, 1,
                new long[] {1, 2, 3, 4, 0}, null);
    }

    private static ConnEvent conn(ConnEvent.Kind kind) {
        ConnStats s = new ConnStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, "x",
                Role.CLIENT, 1, true);
        return new ConnEvent(kind, 1, 1, JsonEventFormatterTest.LOCAL_FIRST, 1, s);
    }

    private long lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().count();
    }

    @Test
    void countStopsAfterNPacketsAndSignalsOnce() {
        EventPrinter p = printer(EventPrinter.TYPES, true, 0, 3);
        for (int i = 0; i < 10; i++) {
            p.onEvent(packet(1), Who.NONE);
        }
        assertEquals(3, lines());
        assertEquals(1, limits.get());
    }

    @Test
    void closedConnectionsOnlyWithAll() {
        printer(EventPrinter.TYPES, false, 0, 0).onEvent(conn(ConnEvent.Kind.CLOSE), Who.NONE);
        assertEquals(0, lines());
        printer(EventPrinter.TYPES, true, 0, 0).onEvent(conn(ConnEvent.Kind.CLOSE), Who.NONE);
        assertEquals(1, lines());
        printer(EventPrinter.TYPES, false, 0, 0).onEvent(conn(ConnEvent.Kind.OPEN), Who.NONE);
        assertEquals(2, lines());
    }

    @Test
    void typeAndPidFilters() {
        EventPrinter p = printer(Set.of("drop"), true, 0, 0);
        Event drop = new ErrorEvent(ErrorKind.DROP, 0, 0, 0, 0, "", JsonEventFormatterTest.LOCAL_FIRST, 2, 0, 0, 6, 0);
        p.onEvent(packet(1), Who.NONE);
        p.onEvent(drop, Who.NONE);
        assertEquals(1, lines());
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("\"type\":\"drop\""));
        EventPrinter q = printer(EventPrinter.TYPES, true, 7, 0);
        q.onEvent(packet(8), Who.NONE);
        q.onEvent(conn(ConnEvent.Kind.OPEN), Who.NONE); // pid 7
        assertEquals(2, lines());
    }

    @Test
    void linesAreTheFormattersJsonInUtf8WhateverTheirLength() {
        EventPrinter p = printer(EventPrinter.TYPES, true, 0, 0);
        JsonEventFormatter f = new JsonEventFormatter(clock, names);
        PacketEvent ascii = packet(1);
        PacketEvent accented = new PacketEvent(1, 1, 0, 2, "caf\u00e9-\u00fc", JsonEventFormatterTest.LOCAL_FIRST,
                Direction.RX, 0, 0, 1, new long[] {1, 2, 3, 4, 0}, "GET /" + "x".repeat(3000) + " HTTP/1.1");
        p.onEvent(ascii, Who.NONE);
        p.onEvent(accented, Who.NONE);
        p.onEvent(ascii, Who.NONE);
        assertEquals(String.join("\n", f.format(ascii, Who.NONE), f.format(accented, Who.NONE),
                        f.format(ascii, Who.NONE)) + "\n",
                bytes.toString(StandardCharsets.UTF_8));
    }
}
