package io.netwatcher.btf;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only view of BTF type information (the kernel's {@code /sys/kernel/btf/vmlinux}, or the
 * .BTF section of a BPF object): type kinds, names, struct members, enum values, function
 * prototypes and data sections. See Documentation/bpf/btf.rst for the format.
 */
public final class Btf {
    public static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    public static final int KIND_INT = 1;
    public static final int KIND_PTR = 2;
    public static final int KIND_ARRAY = 3;
    public static final int KIND_STRUCT = 4;
    public static final int KIND_UNION = 5;
    public static final int KIND_ENUM = 6;
    public static final int KIND_FWD = 7;
    public static final int KIND_TYPEDEF = 8;
    public static final int KIND_VOLATILE = 9;
    public static final int KIND_CONST = 10;
    public static final int KIND_RESTRICT = 11;
    public static final int KIND_FUNC = 12;
    public static final int KIND_FUNC_PROTO = 13;
    public static final int KIND_VAR = 14;
    public static final int KIND_DATASEC = 15;
    public static final int KIND_FLOAT = 16;
    public static final int KIND_DECL_TAG = 17;
    public static final int KIND_TYPE_TAG = 18;
    public static final int KIND_ENUM64 = 19;

    private final ByteBuffer types;
    private final ByteBuffer strings;
    /** Offset in {@link #types} of each type id; index 0 (void) unused. */
    private final int[] offsets;
    private Map<String, List<Integer>> byName;

    private Btf(ByteBuffer data) {
        if (Short.toUnsignedInt(data.getShort(0)) != 0xEB9F) {
            data.order(ByteOrder.BIG_ENDIAN);
            if (Short.toUnsignedInt(data.getShort(0)) != 0xEB9F) {
                throw new IllegalArgumentException("not BTF data (bad magic)");
            }
        }
        int hdrLen = data.getInt(4);
        int typeOff = data.getInt(8);
        int typeLen = data.getInt(12);
        int strOff = data.getInt(16);
        int strLen = data.getInt(20);
        this.types = data.slice(hdrLen + typeOff, typeLen).order(data.order());
        this.strings = data.slice(hdrLen + strOff, strLen).order(data.order());
        List<Integer> offs = new ArrayList<>();
        offs.add(-1);
        int p = 0;
        while (p < typeLen) {
            offs.add(p);
            p += 12 + extraBytes(p);
        }
        this.offsets = offs.stream().mapToInt(Integer::intValue).toArray();
    }

    public static Btf parse(ByteBuffer data) {
        return new Btf(data.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** The running kernel's BTF. */
    public static Btf vmlinux() throws IOException {
        // Not Files.readAllBytes: NIO reads through a temporary direct buffer as large as the file
        // (5 MiB and more) and caches it in the reading thread for good.
        try (InputStream in = new FileInputStream(VMLINUX.toFile())) {
            return parse(ByteBuffer.wrap(in.readAllBytes()));
        }
    }

    /** The .BTF section of a BPF object file. */
    public static Btf ofObject(byte[] elf) {
        return parse(Elf.parse(elf).section(".BTF")
                .orElseThrow(() -> new IllegalArgumentException("object has no .BTF section")));
    }

    private int extraBytes(int off) {
        int info = types.getInt(off + 4);
        int kind = (info >>> 24) & 0x1F;
        int vlen = info & 0xFFFF;
        return switch (kind) {
            case KIND_INT, KIND_VAR, KIND_DECL_TAG -> 4;
            case KIND_ARRAY -> 12;
            case KIND_STRUCT, KIND_UNION, KIND_DATASEC, KIND_ENUM64 -> 12 * vlen;
            case KIND_ENUM, KIND_FUNC_PROTO -> 8 * vlen;
            default -> 0;
        };
    }

    /** Number of types, type ids run from 1 to this value. */
    public int typeCount() {
        return offsets.length - 1;
    }

    public int kind(int id) {
        return (types.getInt(offsets[id] + 4) >>> 24) & 0x1F;
    }

    public String name(int id) {
        return string(types.getInt(offsets[id]));
    }

    int vlen(int id) {
        return types.getInt(offsets[id] + 4) & 0xFFFF;
    }

    boolean kindFlag(int id) {
        return (types.getInt(offsets[id] + 4) & 0x80000000) != 0;
    }

    /** size (struct, union, enum, int, datasec) or referenced type (ptr, typedef, func, ...). */
    int sizeOrType(int id) {
        return types.getInt(offsets[id] + 8);
    }

    private String string(int off) {
        int end = off;
        while (strings.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - off];
        strings.get(off, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private synchronized Map<String, List<Integer>> index() {
        if (byName == null) {
            Map<String, List<Integer>> m = new HashMap<>();
            for (int id = 1; id < offsets.length; id++) {
                int nameOff = types.getInt(offsets[id]);
                if (nameOff != 0) {
                    m.computeIfAbsent(string(nameOff), k -> new ArrayList<>(1)).add(id);
                }
            }
            byName = m;
        }
        return byName;
    }

    /** The id of the first type named {@code name} of {@code kind}. */
    public Optional<Integer> find(String name, int kind) {
        for (int id : index().getOrDefault(name, List.of())) {
            if (kind(id) == kind) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    public boolean has(String name, int kind) {
        return find(name, kind).isPresent();
    }

    /** Byte size of a struct, union, enum or int. */
    public int size(int id) {
        return sizeOrType(id);
    }

    /** Follows typedefs and modifiers (const, volatile, restrict, type tags) to the real type. */
    public int resolve(int id) {
        while (id != 0) {
            int k = kind(id);
            if (k == KIND_TYPEDEF || k == KIND_VOLATILE || k == KIND_CONST || k == KIND_RESTRICT
                    || k == KIND_TYPE_TAG) {
                id = sizeOrType(id);
            } else {
                break;
            }
        }
        return id;
    }

    /** A struct or union member: name, type id, byte offset (bit offset / 8) and bit size (0 = not a bitfield). */
    public record Member(String name, int type, int bitOffset, int bitSize) {
        public int offset() {
            return bitOffset / 8;
        }
    }

    public List<Member> members(int structId) {
        int k = kind(structId);
        if (k != KIND_STRUCT && k != KIND_UNION) {
            throw new IllegalArgumentException("type " + structId + " is not a struct or union");
        }
        int base = offsets[structId] + 12;
        boolean flag = kindFlag(structId);
        List<Member> out = new ArrayList<>();
        for (int i = 0; i < vlen(structId); i++) {
            int m = base + i * 12;
            int off = types.getInt(m + 8);
            int bitOff = flag ? off & 0xFFFFFF : off;
            int bitSize = flag ? off >>> 24 : 0;
            out.add(new Member(string(types.getInt(m)), types.getInt(m + 4), bitOff, bitSize));
        }
        return out;
    }

    /** Member offsets of the struct named {@code name} in bytes, in declaration order. */
    public Map<String, Integer> memberOffsets(String structName) {
        int id = find(structName, KIND_STRUCT)
                .orElseThrow(() -> new IllegalArgumentException("no struct " + structName));
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Member m : members(id)) {
            out.put(m.name(), m.offset());
        }
        return out;
    }

    /** Values of an enum (or enum64) by name. */
    public Map<String, Long> enumValues(String enumName) {
        return enumValues(find(enumName, KIND_ENUM).or(() -> find(enumName, KIND_ENUM64))
                .orElseThrow(() -> new IllegalArgumentException("no enum " + enumName)));
    }

    /** Values of the enum (or enum64) of type {@code id}, by name (anonymous enums have no other handle). */
    public Map<String, Long> enumValues(int id) {
        if (kind(id) != KIND_ENUM && kind(id) != KIND_ENUM64) {
            throw new IllegalArgumentException("type " + id + " is not an enum");
        }
        Map<String, Long> out = new LinkedHashMap<>();
        int base = offsets[id] + 12;
        boolean enum64 = kind(id) == KIND_ENUM64;
        for (int i = 0; i < vlen(id); i++) {
            if (enum64) {
                int m = base + i * 12;
                long v = Integer.toUnsignedLong(types.getInt(m + 4)) | ((long) types.getInt(m + 8) << 32);
                out.put(string(types.getInt(m)), v);
            } else {
                int m = base + i * 8;
                out.put(string(types.getInt(m)), (long) types.getInt(m + 4));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Number of parameters of the function prototype behind {@code name}: a FUNC, or a typedef of
     * a pointer to a prototype (as the kernel's {@code btf_trace_<tracepoint>} typedefs are).
     */
    public Optional<Integer> paramCount(String name) {
        Optional<Integer> f = find(name, KIND_FUNC).or(() -> find(name, KIND_TYPEDEF));
        if (f.isEmpty()) {
            return Optional.empty();
        }
        int id = f.get();
        if (kind(id) == KIND_FUNC) {
            id = sizeOrType(id);
        } else {
            id = resolve(sizeOrType(id));
            if (kind(id) == KIND_PTR) {
                id = resolve(sizeOrType(id));
            }
        }
        return kind(id) == KIND_FUNC_PROTO ? Optional.of(vlen(id)) : Optional.empty();
    }

    /** Byte offset of variable {@code var} inside data section {@code section} (e.g. ".rodata"). */
    public Optional<Integer> varOffset(String section, String var) {
        Optional<Integer> ds = find(section, KIND_DATASEC);
        if (ds.isEmpty()) {
            return Optional.empty();
        }
        int base = offsets[ds.get()] + 12;
        for (int i = 0; i < vlen(ds.get()); i++) {
            int m = base + i * 12;
            int varId = types.getInt(m);
            if (var.equals(name(varId))) {
                return Optional.of(types.getInt(m + 4));
            }
        }
        return Optional.empty();
    }
}
