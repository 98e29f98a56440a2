package io.netwatcher.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
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
    }

    @Test
    void configIsTheRodataVariable() {
        assertTrue(BTF.varOffset(".rodata", "targ_cfg").isPresent(), "targ_cfg in .rodata");
    }
}
