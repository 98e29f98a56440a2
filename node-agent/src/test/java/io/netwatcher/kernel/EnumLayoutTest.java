package io.netwatcher.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.event.Direction;
import io.netwatcher.event.DnsOutcome;
import io.netwatcher.event.HandshakeFailure;
import io.netwatcher.event.IcmpSide;
import io.netwatcher.event.Layer;
import io.netwatcher.event.ResetDirection;
import io.netwatcher.event.RetransmitKind;
import io.netwatcher.event.Role;
import io.netwatcher.probe.BpfObjects;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every enum of bpf/netwatcher.h against its Java mirror, member by member, as the compiled
 * object's BTF has it (the way LayoutTest checks struct offsets): every Java constant names a
 * member of the C enum and has its value, and every C member has a Java constant. A mirror is a
 * Java enum whose constants answer {@code cName()} and {@code value()}.
 */
class EnumLayoutTest {
    private static final Btf BTF = Btf.ofObject(BpfObjects.read(BpfObjects.NETWATCHER));

    /** C enum -> its Java mirror. A new enum of netwatcher.h gets a line here. */
    static final Map<String, Class<? extends Enum<?>>> MIRRORS = new LinkedHashMap<>();

    static {
        MIRRORS.put("nw_event_type", RecordType.class);
        MIRRORS.put("nw_direction", Direction.class);
        MIRRORS.put("nw_rx_stamp", RxStamp.class);
        MIRRORS.put("nw_tx_stamp", TxStamp.class);
        MIRRORS.put("nw_layer", Layer.class);
        MIRRORS.put("nw_role", Role.class);
        MIRRORS.put("nw_conn_kind", ConnKind.class);
        MIRRORS.put("nw_reset_dir", ResetDirection.class);
        MIRRORS.put("nw_retrans_kind", RetransmitKind.class);
        MIRRORS.put("nw_counter_kind", CounterKind.class);
        MIRRORS.put("nw_handshake_fail", HandshakeFailure.class);
        MIRRORS.put("nw_icmp_kind", IcmpKind.class);
        MIRRORS.put("nw_icmp_side", IcmpSide.class);
        MIRRORS.put("nw_dns_kind", DnsKind.class);
        MIRRORS.put("nw_dns_outcome", DnsOutcome.class);
        MIRRORS.put("nw_stat", KernelStat.class);
    }

    @TestFactory
    Stream<DynamicTest> everyMirrorMatchesTheObjectsEnum() {
        return MIRRORS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(),
                () -> check(e.getKey(), e.getValue())));
    }

    private static void check(String cEnum, Class<? extends Enum<?>> mirror) throws Exception {
        assertTrue(BTF.find(cEnum, Btf.KIND_ENUM).isPresent(), "enum " + cEnum + " in the object's BTF"
                + " (netwatcher.bpf.c: struct nw_btf_types keeps it)");
        Map<String, Long> c = BTF.enumValues(cEnum);
        Method cName = mirror.getMethod("cName");
        Method value = mirror.getMethod("value");
        Set<String> mirrored = new TreeSet<>();
        for (Enum<?> constant : mirror.getEnumConstants()) {
            String name = (String) cName.invoke(constant);
            int v = (int) value.invoke(constant);
            assertTrue(c.containsKey(name), mirror.getSimpleName() + "." + constant.name() + ": enum " + cEnum
                    + " has no " + name + " " + c.keySet());
            assertEquals(c.get(name).longValue(), v, mirror.getSimpleName() + "." + constant.name() + " = " + name);
            mirrored.add(name);
        }
        for (String member : c.keySet()) {
            assertTrue(mirrored.contains(member), mirror.getSimpleName() + " lacks a constant for " + cEnum + "."
                    + member);
        }
    }

    /** An enum added to the header without a mirror fails here, before anything else. */
    @Test
    void everyEnumOfTheHeaderHasAMirror() throws IOException {
        Set<String> declared = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^enum (nw_\\w+) \\{").matcher(Files.readString(header()));
        while (m.find()) {
            declared.add(m.group(1));
        }
        assertTrue(declared.size() >= 11, "enums found in netwatcher.h: " + declared);
        assertEquals(declared, new TreeSet<>(MIRRORS.keySet()), "enums of netwatcher.h vs their Java mirrors");
    }

    /** bpf/netwatcher.h, from the module directory the tests run in. */
    static Path header() {
        for (Path p : new Path[] {Path.of("../bpf/netwatcher.h"), Path.of("bpf/netwatcher.h")}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new AssertionError("bpf/netwatcher.h not found from " + Path.of("").toAbsolutePath());
    }
}
