package io.netwatcher.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.btf.Elf;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.SocketFilter;
import io.netwatcher.probe.BpfObjects;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Java mirrors in {@link Layouts} against the compiled object's BTF: every struct's size,
 * every member's offset, and no member without a constant (padding aside).
 */
class LayoutTest {
    private static final Btf BTF = Btf.ofObject(BpfObjects.read(BpfObjects.NETWATCHER));

    @TestFactory
    Stream<DynamicTest> everyMirroredStructMatchesTheObject() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Class<?> c : Layouts.class.getDeclaredClasses()) {
            tests.add(DynamicTest.dynamicTest(c.getSimpleName(), () -> check(c)));
        }
        assertTrue(tests.size() >= 11, "all layouts found: " + tests.size());
        return tests.stream();
    }

    private static void check(Class<?> c) throws Exception {
        String struct = (String) c.getField("STRUCT").get(null);
        int id = BTF.find(struct, Btf.KIND_STRUCT).orElseThrow(() -> new AssertionError("no struct " + struct));
        assertEquals(BTF.size(id), c.getField("SIZE").getInt(null), "sizeof(struct " + struct + ")");
        Map<String, Integer> offsets = BTF.memberOffsets(struct);
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class || f.getName().equals("SIZE")) {
                continue;
            }
            String member = f.getName().toLowerCase(Locale.ROOT);
            Integer off = offsets.get(member);
            assertTrue(off != null, struct + " has no member " + member);
            assertEquals(off.intValue(), f.getInt(null), "offsetof(struct " + struct + ", " + member + ")");
        }
        for (String member : offsets.keySet()) {
            if (member.startsWith("pad")) {
                continue;
            }
            String constant = member.toUpperCase(Locale.ROOT);
            assertTrue(Stream.of(c.getFields()).anyMatch(f -> f.getName().equals(constant)),
                    "Layouts." + c.getSimpleName() + " lacks " + constant + " for " + struct + "." + member);
        }
    }

    @Test
    void scalarConstantsMatchTheHeader() {
        int hist = BTF.find("nw_hist", Btf.KIND_STRUCT).orElseThrow();
        Btf.Member slots = BTF.members(hist).stream().filter(m -> m.name().equals("slots")).findFirst().orElseThrow();
        assertEquals(Layouts.SIZE_OF_HIST_FIXED + 8 * Layouts.HIST_SLOTS, BTF.size(hist));
        assertEquals(16, slots.offset());
        assertEquals(Layouts.Hist.SIZE * Layouts.HIST_LAYERS, Layouts.Hists.SIZE, "NW_HIST_LAYERS");
        assertEquals(8 * Layouts.MAX_STAMPS, Layouts.PacketEvent.COMM - Layouts.PacketEvent.STAMPS, "NW_MAX_STAMPS");
        assertEquals(Layouts.COMM_LEN, Layouts.PacketEvent.HTTP - Layouts.PacketEvent.COMM, "NW_COMM_LEN");
        assertEquals(Layouts.HTTP_LEN, Layouts.PacketEvent.SIZE - Layouts.PacketEvent.HTTP, "NW_HTTP_LEN");
        assertEquals(LayerHistogram.SLOTS, Layouts.HIST_SLOTS, "the event model's histogram slots");
        assertEquals(PacketEvent.STAMPS, Layouts.MAX_STAMPS, "the event model's packet stamps");
        assertEquals(2 * Layouts.PORTS_MAX, Layouts.Config.FILTER_DPORT - Layouts.Config.FILTER_SPORT, "NW_PORTS_MAX");
        assertEquals(SocketFilter.MAX_PORTS, Layouts.PORTS_MAX, "the event model's port lists");
    }

    /** clang leaves DATASEC offsets 0 in BTF: the settings are written at their symbols' offsets. */
    @Test
    void rodataSettingsLieWhereTheSymbolTableSays() {
        Elf elf = Elf.parse(BpfObjects.read(BpfObjects.NETWATCHER));
        int size = elf.section(".rodata").orElseThrow().remaining();
        Map<String, Integer> sizes = Map.of("targ_cfg", Layouts.Config.SIZE, "targ_benign",
                Layouts.BENIGN_MAX * Layouts.BenignDrop.SIZE, "targ_benign_n", 4, "targ_benign_events", 1,
                "targ_csum_at_drop", 1, "targ_client_open_at_sockops", 1, "targ_dns_names", 1, "targ_dns_timeout_ns", 8);
        List<long[]> spans = new ArrayList<>();
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            long off = elf.symbolValue(e.getKey()).orElseThrow(() -> new AssertionError("no symbol " + e.getKey()));
            assertTrue(off + e.getValue() <= size, e.getKey() + " inside .rodata");
            spans.add(new long[] {off, off + e.getValue()});
        }
        assertEquals(0L, elf.symbolValue("targ_cfg").orElseThrow());
        assertEquals(0L, elf.symbolValue("targ_benign").orElseThrow() % 8, "the table is 8-byte aligned");
        for (long[] a : spans) {
            for (long[] b : spans) {
                assertTrue(a == b || a[1] <= b[0] || b[1] <= a[0], "settings do not overlap");
            }
        }
    }

    @Test
    void configIsTheRodataVariable() {
        assertTrue(BTF.varOffset(".rodata", "targ_cfg").isPresent(), "targ_cfg in .rodata");
    }
}
