package io.netwatcher.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BTF parsing on a hand-built type section (the layout of Documentation/bpf/btf.rst). */
class BtfTest {
    /** Builds BTF: types are appended in id order starting at 1. */
    static final class Builder {
        private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
        private final ByteBuffer types = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        private int next = 1;

        Builder() {
            strings.write(0);
        }

        int str(String s) {
            int off = strings.size();
            strings.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
            return off;
        }

        int type(String name, int kind, int vlen, boolean flag, int sizeOrType) {
            types.putInt(name == null ? 0 : str(name));
            types.putInt((flag ? 0x80000000 : 0) | (kind << 24) | vlen);
            types.putInt(sizeOrType);
            return next++;
        }

        Builder putInt(int v) {
            types.putInt(v);
            return this;
        }

        byte[] build() {
            byte[] s = strings.toByteArray();
            int typeLen = types.position();
            ByteBuffer b = ByteBuffer.allocate(24 + typeLen + s.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) 0xEB9F).put((byte) 1).put((byte) 0).putInt(24).putInt(0).putInt(typeLen)
                    .putInt(typeLen).putInt(s.length);
            b.put(types.array(), 0, typeLen).put(s);
            return b.array();
        }
    }

    @Test
    void readsStructsEnumsPrototypesAndDataSections() {
        Builder b = new Builder();
        int u32 = b.type("unsigned int", Btf.KIND_INT, 0, false, 4);
        b.putInt(32);
        int st = b.type("pair", Btf.KIND_STRUCT, 3, true, 12);
        b.putInt(b.str("a")).putInt(u32).putInt(0);
        b.putInt(b.str("b")).putInt(u32).putInt(32);
        b.putInt(b.str("flags")).putInt(u32).putInt((3 << 24) | 64); // a 3-bit bitfield at bit 64
        int en = b.type("color", Btf.KIND_ENUM, 2, false, 4);
        b.putInt(b.str("RED")).putInt(1);
        b.putInt(b.str("BLUE")).putInt(-2);
        int proto = b.type(null, Btf.KIND_FUNC_PROTO, 3, false, u32);
        b.putInt(0).putInt(u32).putInt(0).putInt(u32).putInt(0).putInt(u32);
        int ptr = b.type(null, Btf.KIND_PTR, 0, false, proto);
        b.type("btf_trace_thing", Btf.KIND_TYPEDEF, 0, false, ptr);
        b.type("do_thing", Btf.KIND_FUNC, 1, false, proto);
        int cnst = b.type(null, Btf.KIND_CONST, 0, false, st);
        int var = b.type("cfg", Btf.KIND_VAR, 0, false, cnst);
        b.putInt(1);
        b.type(".rodata", Btf.KIND_DATASEC, 1, false, 40);
        b.putInt(var).putInt(16).putInt(12);

        Btf btf = Btf.parse(ByteBuffer.wrap(b.build()));
        assertEquals(10, btf.typeCount());
        assertEquals(st, btf.find("pair", Btf.KIND_STRUCT).orElseThrow());
        assertEquals(12, btf.size(st));
        assertEquals(Map.of("a", 0, "b", 4, "flags", 8), btf.memberOffsets("pair"));
        List<Btf.Member> m = btf.members(st);
        assertEquals(3, m.get(2).bitSize());
        assertEquals(Map.of("RED", 1L, "BLUE", -2L), btf.enumValues("color"));
        assertEquals(en, btf.find("color", Btf.KIND_ENUM).orElseThrow());
        assertEquals(3, btf.paramCount("btf_trace_thing").orElseThrow(), "typedef -> ptr -> proto");
        assertEquals(3, btf.paramCount("do_thing").orElseThrow(), "func -> proto");
        assertTrue(btf.paramCount("nothing").isEmpty());
        assertEquals(16, btf.varOffset(".rodata", "cfg").orElseThrow());
        assertEquals(st, btf.resolve(cnst));
        assertFalse(btf.has("pair", Btf.KIND_UNION));
    }

    @Test
    void rejectsWhatIsNotBtf() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Btf.parse(ByteBuffer.wrap(new byte[32])));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Btf.ofObject(new byte[100]));
    }
}
