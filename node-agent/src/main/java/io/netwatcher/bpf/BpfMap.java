package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * One map of a {@link BpfObject}. Lookups of per-CPU maps return one value per possible CPU,
 * each padded to 8 bytes ({@link #valueStride()}); {@link PerCpu} sums them. Once the object is
 * closed every method but {@link #name()} throws {@link BpfClosedException}.
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
    private static final int ENOSPC = 28;

    private final ObjectGuard guard;
    /**
     * Bytes of values read per batch syscall: 20,000 tracked sockets (192 bytes each, 3.7 MB)
     * take 8 calls. 4 MiB chunks cost that much native memory per map for a few calls less.
     */
    static final long CHUNK_BYTES = 512 << 10;

    private final Pointer map;
    private final String name;
    private final String what;
    private Batch batch;

    BpfMap(ObjectGuard guard, Pointer map) {
        this.guard = guard;
        this.map = map;
        this.name = LibBpf.bpf_map__name(map);
        this.what = "map " + name;
    }

    Pointer handle() {
        return map;
    }

    public String name() {
        return name;
    }

    public int type() {
        return guard.callInt(what, () -> LibBpf.bpf_map__type(map));
    }

    public int keySize() {
        return guard.callInt(what, () -> LibBpf.bpf_map__key_size(map));
    }

    public int valueSize() {
        return guard.callInt(what, () -> LibBpf.bpf_map__value_size(map));
    }

    public int maxEntries() {
        return guard.callInt(what, () -> LibBpf.bpf_map__max_entries(map));
    }

    /** Before load: resize (for a ring buffer, its data size in bytes, a power of 2 of pages). */
    /**
     * Before load: use the same kernel map as {@code other} (of another object, already loaded)
     * instead of creating one, as objects loaded once per attach target share their maps.
     */
    public void reuse(BpfMap other) {
        int ret = LibBpf.bpf_map__reuse_fd(map, other.fd());
        if (ret < 0) {
            throw BpfException.negative("bpf_map__reuse_fd(" + name + ")", ret);
        }
    }

    public void setMaxEntries(int maxEntries) {
        int ret = guard.callInt(what, () -> LibBpf.bpf_map__set_max_entries(map, maxEntries));
        if (ret < 0) {
            throw BpfException.negative("bpf_map__set_max_entries(" + name + ", " + maxEntries + ")", ret);
        }
    }

    /** The map's fd; it is closed with the object (the reader of a ring buffer closes first). */
    public int fd() {
        int fd = guard.callInt(what, () -> LibBpf.bpf_map__fd(map));
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
        guard.enter(what);
        try {
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
        } finally {
            guard.exit();
        }
    }

    /** Writes {@code value} under {@code key} (flags: 0 any, 1 only new, 2 only existing). */
    public void update(byte[] key, byte[] value, long flags) {
        guard.enter(what);
        try {
            checkKey(key);
            if (value.length != lookupSize()) {
                throw new IllegalArgumentException(name + ": value " + value.length + " != " + lookupSize());
            }
            int ret = LibBpf.bpf_map_update_elem(fd(), copy(key), copy(value), flags);
            if (ret < 0) {
                throw BpfException.negative("bpf_map_update_elem(" + name + ")", ret);
            }
        } finally {
            guard.exit();
        }
    }

    /** Deletes {@code key}; false when it was not there. */
    public boolean delete(byte[] key) {
        guard.enter(what);
        try {
            checkKey(key);
            int ret = LibBpf.bpf_map_delete_elem(fd(), copy(key));
            if (ret == -ENOENT) {
                return false;
            }
            if (ret < 0) {
                throw BpfException.negative("bpf_map_delete_elem(" + name + ")", ret);
            }
            return true;
        } finally {
            guard.exit();
        }
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
     * Reads every entry with {@code bpf_map_lookup_batch} (one syscall per chunk), falling back to
     * {@code bpf_map_get_next_key} + lookup where the kernel has no batch support for the map,
     * handing the entries to {@code fn} a chunk at a time while no other thread can read this
     * map (the buffers are reused by the next chunk). Chunks are at most {@link #CHUNK_BYTES} of
     * values (or 16 entries): a per-CPU map on a many-core node is never copied out whole, and the
     * buffers, kept for the map's lifetime, stay small.
     */
    public void forEachChunk(Consumer<Entries> fn) {
        guard.enter(what);
        try {
            readChunks(fn);
        } finally {
            guard.exit();
        }
    }

    private synchronized void readChunks(Consumer<Entries> fn) {
        if (batch == null) {
            int cap = (int) Math.max(16, Math.min(maxEntries(), CHUNK_BYTES / Math.max(1, lookupSize())));
            batch = new Batch(keySize(), lookupSize(), maxEntries(), cap);
        }
        batch.read(fd(), name, fn);
    }

    /** As {@link #forEachChunk(Consumer)} with a chosen chunk size and method (tests). */
    void forEachChunk(int chunkEntries, boolean byKeys, Consumer<Entries> fn) {
        guard.enter(what);
        try {
            synchronized (this) {
                Batch b = new Batch(keySize(), lookupSize(), maxEntries(), chunkEntries);
                b.noBatch = byKeys;
                b.read(fd(), name, fn);
            }
        } finally {
            guard.exit();
        }
    }

    /** The number of entries in the map now (reads them). */
    public int countEntries() {
        int[] n = new int[1];
        forEachChunk(e -> n[0] += e.count());
        return n[0];
    }

    /** A chunk of a map's entries: {@link #count()} entries, keys and values as little-endian views. */
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
        private int cap;
        private Memory keys;
        private Memory values;
        private final Memory count = new Memory(4);
        private final Memory tokenA;
        private final Memory tokenB;
        private Entries entries;
        private boolean noBatch;

        Batch(int keySize, int valueSize, int max, int cap) {
            this.keySize = keySize;
            this.valueSize = valueSize;
            this.max = max;
            this.tokenA = new Memory(Math.max(8, keySize));
            this.tokenB = new Memory(Math.max(8, keySize));
            allocate(cap);
        }

        private void allocate(int entriesPerChunk) {
            cap = entriesPerChunk;
            keys = new Memory((long) keySize * cap);
            values = new Memory((long) valueSize * cap);
            entries = new Entries(keys.getByteBuffer(0, keys.size()).order(ByteOrder.nativeOrder()),
                    values.getByteBuffer(0, values.size()).order(ByteOrder.nativeOrder()), keySize, valueSize);
        }

        void read(int fd, String name, Consumer<Entries> fn) {
            if (noBatch) {
                readByKeys(fd, name, fn);
            } else {
                readBatched(fd, name, fn);
            }
        }

        private void deliver(int n, Consumer<Entries> fn) {
            if (n > 0) {
                entries.count = n;
                fn.accept(entries);
            }
        }

        private void readBatched(int fd, String name, Consumer<Entries> fn) {
            int total = 0;
            Memory in = null;
            Memory out = tokenA;
            while (total < max) {
                count.setInt(0, cap);
                int ret = LibBpf.bpf_map_lookup_batch(fd, in, out, keys, values, count, null);
                int got = Math.max(0, count.getInt(0));
                if (ret == -ENOSPC && got == 0 && cap < max) {
                    // A hash bucket holds more entries than a chunk: the kernel returns whole buckets.
                    allocate(Math.min(max, cap * 2));
                    continue;
                }
                if (ret < 0 && ret != -ENOENT) {
                    if (total == 0 && (ret == -EINVAL || ret == -ENOTSUPP)) {
                        noBatch = true;
                        readByKeys(fd, name, fn);
                        return;
                    }
                    throw BpfException.negative("bpf_map_lookup_batch(" + name + ")", ret);
                }
                deliver(got, fn);
                total += got;
                if (ret == -ENOENT) {
                    break;
                }
                in = out;
                out = out == tokenA ? tokenB : tokenA;
            }
        }

        private void readByKeys(int fd, String name, Consumer<Entries> fn) {
            int n = 0;
            int total = 0;
            Pointer prev = null;
            while (total < max) {
                if (n == cap) { // chunk full: hand it over, keep the last key to continue from
                    tokenA.write(0, keys.getByteArray((long) (n - 1) * keySize, keySize), 0, keySize);
                    prev = tokenA;
                    deliver(n, fn);
                    n = 0;
                }
                Pointer k = keys.share((long) n * keySize);
                int ret = LibBpf.bpf_map_get_next_key(fd, prev, k);
                if (ret == -ENOENT) {
                    break;
                }
                if (ret < 0) {
                    throw BpfException.negative("bpf_map_get_next_key(" + name + ")", ret);
                }
                ret = LibBpf.bpf_map_lookup_elem(fd, k, values.share((long) n * valueSize));
                if (ret == -ENOENT) {
                    // deleted between the two calls: continue from it, overwrite its slot
                    tokenB.write(0, keys.getByteArray((long) n * keySize, keySize), 0, keySize);
                    prev = tokenB;
                    continue;
                }
                if (ret < 0) {
                    throw BpfException.negative("bpf_map_lookup_elem(" + name + ")", ret);
                }
                prev = k;
                n++;
                total++;
            }
            deliver(n, fn);
        }
    }
}
