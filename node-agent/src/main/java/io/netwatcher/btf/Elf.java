package io.netwatcher.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Just enough of ELF64 (little-endian, as BPF objects are) to find a section or a symbol by name. */
public final class Elf {
    private final ByteBuffer buf;

    private Elf(ByteBuffer buf) {
        this.buf = buf;
    }

    public static Elf parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 64 || b.getInt(0) != 0x464C457F) {
            throw new IllegalArgumentException("not an ELF file");
        }
        if (b.get(4) != 2 || b.get(5) != 1) {
            throw new IllegalArgumentException("not a little-endian ELF64 file");
        }
        return new Elf(b);
    }

    /** The bytes of section {@code name}, if present. */
    public Optional<ByteBuffer> section(String name) {
        long shoff = buf.getLong(0x28);
        int shentsize = Short.toUnsignedInt(buf.getShort(0x3A));
        int shnum = Short.toUnsignedInt(buf.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(buf.getShort(0x3E));
        long strOff = buf.getLong((int) (shoff + (long) shstrndx * shentsize + 24));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            int nameOff = buf.getInt(sh);
            if (name.equals(cString((int) (strOff + nameOff)))) {
                int off = (int) buf.getLong(sh + 24);
                int size = (int) buf.getLong(sh + 32);
                return Optional.of(buf.slice(off, size).order(ByteOrder.LITTLE_ENDIAN));
            }
        }
        return Optional.empty();
    }

    /**
     * The value of symbol {@code name} in the symbol table: in an object file, a variable's offset
     * in its section. (The BTF of a clang-built object leaves the offsets of its DATASEC variables
     * 0; libbpf fills them in from these values when it opens the object.)
     */
    public Optional<Long> symbolValue(String name) {
        long shoff = buf.getLong(0x28);
        int shentsize = Short.toUnsignedInt(buf.getShort(0x3A));
        int shnum = Short.toUnsignedInt(buf.getShort(0x3C));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (buf.getInt(sh + 4) != 2) { // SHT_SYMTAB
                continue;
            }
            int off = (int) buf.getLong(sh + 24);
            int size = (int) buf.getLong(sh + 32);
            int entsize = (int) buf.getLong(sh + 56);
            int link = buf.getInt(sh + 40);
            long strOff = buf.getLong((int) (shoff + (long) link * shentsize + 24));
            for (int e = off; entsize > 0 && e + entsize <= off + size; e += entsize) {
                if (name.equals(cString((int) (strOff + buf.getInt(e))))) {
                    return Optional.of(buf.getLong(e + 8));
                }
            }
        }
        return Optional.empty();
    }

    private String cString(int off) {
        int end = off;
        while (buf.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end - off];
        buf.get(off, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
