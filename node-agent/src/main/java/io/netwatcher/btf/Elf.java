package io.netwatcher.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Just enough of ELF64 (little-endian, as BPF objects are) to find a section by name. */
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
