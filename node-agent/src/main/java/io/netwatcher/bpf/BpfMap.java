package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One map of a {@link BpfObject}. Lookups of per-CPU maps return one value per possible CPU,
 * each padded to 8 bytes ({@link #valueStride()}); {@link PerCpu} sums them.
 */
public final class BpfMap {
    /** Map types this agent uses (enum bpf_map_type). */
    public static final int TYPE_HASH = 1;
    public static final int TYPE_ARRAY = 2;
    public static final int TYPE_PERCPU_HASH = 5;
    public static final int TYPE_PERCPU_ARRAY = 6;
    public static final int TYPE_LRU_HASH = 9;
    public static final int TYPE_LRU_PERCPU_HASH = 10;
    public static final int TYPE_RINGBUF = 27;

    private static final int ENOENT = 2;
    private static final int EINVAL = 22;
    private static final int ENOTSUPP = 524;

    private final Pointer map;
    private final String name;
    private Batch batch;

    BpfMap(Pointer map) {
        this.map = map;
        this.name = LibBpf.bpf_map__name(map);
    }

    Pointer handle() {
        return map;
    }

    public String name() {
        return name;
    }

    public int type() {
        return LibBpf.bpf_map__type(map);
    }

    public int keySize() {
        return LibBpf.bpf_map__key_size(map);
    }

    public int valueSize() {
        return LibBpf.bpf_map__value_size(map);
    }

    public int maxEntries() {
        return LibBpf.bpf_map__max_entries(map);
    }

    /** Before load: resize (for a ring buffer, its data size in bytes, a power of 2 of pages). */
    public void setMaxEntries(int maxEntries) {
        int ret = LibBpf.bpf_map__set_max_entries(map, maxEntries);
        if (ret < 0) {
            throw BpfException.negative("bpf_map__set_max_entries(" + name + ", " + maxEntries + ")", ret);
        }
    }

    public int fd() {
        int fd = LibBpf.bpf_map__fd(map);
        if (fd < 0) {
            throw BpfException.negative("bpf_map__fd(" + name + ")", fd);
        }
        return fd;
    }

    public boolean isPerCpu() {
        int t = type();
        return t == TYPE_PERCPU_HASH || t == TYPE_PERCPU_ARRAY || t == TYPE_LRU_PERCPU_HASH;
    }

    /** Bytes of one CPU's value in a lookup result (the value size rounded up to 8). */
    public int valueStride() {
        return isPerCpu() ? (valueSize() + 7) & ~7 : valueSize();
    }

    /** Bytes of a whole lookup result: one stride per possible CPU for per-CPU maps. */
    public int lookupSize() {
        return isPerCpu() ? valueStride() * BpfObject.possibleCpus() : valueSize();
    }

    /** Reads the value of {@code key} into {@code value}; false when there is no such key. */
    public boolean lookup(byte[] key, byte[] value) {
        checkKey(key);
        if (value.length < lookupSize()) {
            throw new IllegalArgumentException(name + ": value buffer " + value.length + " < " + lookupSize());
        }
        Memory k = copy(key);
        Memory v = new Memory(lookupSize());
        int ret = LibBpf.bpf_map_lookup_elem(fd(), k, v);
        if (ret == -ENOENT) {
            return false;
        }
        if (ret < 0) {
            throw BpfException.negative("bpf_map_lookup_elem(" + name + ")", ret);
        }
        v.read(0, value, 0, lookupSize());
        return true;
    }

    /** Writes {@code value} under {@code key} (flags: 0 any, 1 only new, 2 only existing). */
    public void update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        if (value.length != lookupSize()) {
            throw new IllegalArgumentException(name + ": value " + value.length + " != " + lookupSize());
        }
        int ret = LibBpf.bpf_map_update_elem(fd(), copy(key), copy(value), flags);
        if (ret < 0) {
            throw BpfException.negative("bpf_map_update_elem(" + name + ")", ret);
        }
    }

    /** Deletes {@code key}; false when it was not there. */
    public boolean delete(byte[] key) {
        checkKey(key);
        int ret = LibBpf.bpf_map_delete_elem(fd(), copy(key));
        if (ret == -ENOENT) {
            return false;
        }
        if (ret < 0) {
            throw BpfException.negative("bpf_map_delete_elem(" + name + ")", ret);
        }
        return true;
    }

    private void checkKey(byte[] key) {
        if (key.length != keySize()) {
            throw new IllegalArgumentException(name + ": key " + key.length + " bytes, map has " + keySize());
        }
    }

    private static Memory copy(byte[] b) {
        Memory m = new Memory(Math.max(1, b.length));
        m.write(0, b, 0, b.length);
        return m;
    }

    /**
     * Reads every entry with {@code bpf_map_lookup_batch} (one syscall per batch), falling back to
     * {@code bpf_map_get_next_key} + lookup where the kernel has no batch support for the map,
     * and hands the result to {@code fn} while no other thread can read this map (the buffers are
     * reused by the next read).
     */
    public synchronized <R> R read(java.util.function.Function<Entries, R> fn) {
        if (batch == null) {
            batch = new Batch(keySize(), lookupSize(), maxEntries());
        }
        batch.read(fd(), name);
        return fn.apply(batch.entries);
    }

    /** A read of a whole map: {@link #count()} entries, keys and values as little-endian views. */
    public static final class Entries {
        private final ByteBuffer keys;
        private final ByteBuffer values;
        private final int keySize;
        private final int valueSize;
        private int count;

        Entries(ByteBuffer keys, ByteBuffer values, int keySize, int valueSize) {
            this.keys = keys;
            this.values = values;
            this.keySize = keySize;
            this.valueSize = valueSize;
        }

        public int count() {
            return count;
        }

        /** The buffer holding all keys; key i starts at {@link #keyOffset(int)}. */
        public ByteBuffer keys() {
            return keys;
        }

        public ByteBuffer values() {
            return values;
        }

        public int keyOffset(int i) {
            return i * keySize;
        }

        public int valueOffset(int i) {
            return i * valueSize;
        }

        public byte[] key(int i) {
            byte[] b = new byte[keySize];
            keys.get(keyOffset(i), b);
            return b;
        }
    }

    private static final class Batch {
        private final int keySize;
        private final int valueSize;
        private final int max;
        private final Memory keys;
        private final Memory values;
        private final Memory count = new Memory(4);
        private final Memory tokenA;
        private final Memory tokenB;
        private final Entries entries;
        private boolean noBatch;

        Batch(int keySize, int valueSize, int max) {
            this.keySize = keySize;
            this.valueSize = valueSize;
            this.max = max;
            this.keys = new Memory((long) keySize * max);
            this.values = new Memory((long) valueSize * max);
            this.tokenA = new Memory(Math.max(8, keySize));
            this.tokenB = new Memory(Math.max(8, keySize));
            this.entries = new Entries(keys.getByteBuffer(0, keys.size()).order(ByteOrder.nativeOrder()),
                    values.getByteBuffer(0, values.size()).order(ByteOrder.nativeOrder()), keySize, valueSize);
        }

        void read(int fd, String name) {
            entries.count = noBatch ? readByKeys(fd, name) : readBatched(fd, name);
        }

        private int readBatched(int fd, String name) {
            int total = 0;
            Memory in = null;
            Memory out = tokenA;
            while (total < max) {
                count.setInt(0, max - total);
                int ret = LibBpf.bpf_map_lookup_batch(fd, in, out, keys.share((long) total * keySize),
                        values.share((long) total * valueSize), count, null);
                int got = count.getInt(0);
                if (ret < 0 && ret != -ENOENT) {
                    if (total == 0 && (ret == -EINVAL || ret == -ENOTSUPP)) {
                        noBatch = true;
                        return readByKeys(fd, name);
                    }
                    throw BpfException.negative("bpf_map_lookup_batch(" + name + ")", ret);
                }
                total += Math.max(0, got);
                if (ret == -ENOENT) {
                    break;
                }
                in = out;
                out = out == tokenA ? tokenB : tokenA;
            }
            return total;
        }

        private int readByKeys(int fd, String name) {
            int n = 0;
            Pointer prev = null;
            Memory next = tokenA;
            while (n < max) {
                Pointer k = keys.share((long) n * keySize);
                int ret = LibBpf.bpf_map_get_next_key(fd, prev, k);
                if (ret == -ENOENT) {
                    break;
                }
                if (ret < 0) {
                    throw BpfException.negative("bpf_map_get_next_key(" + name + ")", ret);
                }
                ret = LibBpf.bpf_map_lookup_elem(fd, k, values.share((long) n * valueSize));
                prev = k;
                if (ret == -ENOENT) {
                    continue; // deleted between the two calls: overwrite this slot
                }
                if (ret < 0) {
                    throw BpfException.negative("bpf_map_lookup_elem(" + name + ")", ret);
                }
                n++;
            }
            next.clear();
            return n;
        }
    }
}
