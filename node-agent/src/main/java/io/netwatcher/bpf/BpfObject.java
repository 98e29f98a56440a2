package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An opened BPF object file ({@code bpf_object}). Lifecycle: {@link #open}, choose programs
 * ({@link BpfProgram#setAutoload}), size maps ({@link BpfMap#setMaxEntries}), write rodata
 * ({@link #rodata()}), {@link #load()}, attach programs, {@link #close()}. Closing waits (bounded)
 * for the calls other threads make with its maps, programs and links; after it they throw
 * {@link BpfClosedException}.
 */
public final class BpfObject implements AutoCloseable {
    /** Per-program verifier log kept when a load fails (the tail is what explains it). */
    private static final int LOG_SIZE = 256 * 1024;
    /** How long {@link #close()} waits for calls in flight. */
    static final long CLOSE_WAIT_MS = 2000;

    private final String name;
    private final Pointer obj;
    private Memory elf;
    private final Memory nameMem;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final Map<String, BpfMap> maps = new LinkedHashMap<>();
    private final ObjectGuard guard;
    private boolean loaded;
    private boolean closed;
    private boolean freed;

    private BpfObject(String name, Pointer obj, Memory elf, Memory nameMem) {
        this.name = name;
        this.obj = obj;
        this.elf = elf;
        this.nameMem = nameMem;
        this.guard = new ObjectGuard(name);
        for (Pointer p = LibBpf.bpf_object__next_program(obj, null); p != null;
             p = LibBpf.bpf_object__next_program(obj, p)) {
            BpfProgram prog = new BpfProgram(this, p);
            programs.put(prog.name(), prog);
        }
        for (Pointer m = LibBpf.bpf_object__next_map(obj, null); m != null; m = LibBpf.bpf_object__next_map(obj, m)) {
            BpfMap map = new BpfMap(guard, m);
            maps.put(map.name(), map);
        }
    }

    /** Opens an object from the bytes of its ELF file; {@code name} names it in libbpf's maps. */
    public static BpfObject open(String name, byte[] elfBytes) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(elfBytes, "elfBytes");
        requireAvailable();
        LibBpfLog.install();
        Memory elf = new Memory(elfBytes.length);
        elf.write(0, elfBytes, 0, elfBytes.length);
        byte[] nb = name.getBytes(StandardCharsets.UTF_8);
        Memory nameMem = new Memory(nb.length + 1L);
        nameMem.clear();
        nameMem.write(0, nb, 0, nb.length);
        // struct bpf_object_open_opts (libbpf 1.1, x86_64/arm64 layout): sz, object_name, ...
        Memory opts = new Memory(80);
        opts.clear();
        opts.setLong(0, 80);
        opts.setPointer(8, nameMem);
        Pointer obj = LibBpf.bpf_object__open_mem(elf, elfBytes.length, opts);
        if (obj == null) {
            throw BpfException.errno("bpf_object__open_mem(" + name + ")", Native.getLastError());
        }
        return new BpfObject(name, obj, elf, nameMem);
    }

    /** Throws with the reason when libbpf.so.1 could not be loaded. */
    public static void requireAvailable() {
        if (!LibBpf.isAvailable()) {
            throw new IllegalStateException("libbpf.so.1 is not available: " + LibBpf.unavailabilityCause(),
                    LibBpf.unavailabilityCause());
        }
    }

    public static boolean isAvailable() {
        return LibBpf.isAvailable();
    }

    public static Throwable unavailabilityCause() {
        return LibBpf.unavailabilityCause();
    }

    /** Number of possible CPUs, the multiplier of per-CPU map values. */
    public static int possibleCpus() {
        requireAvailable();
        int n = LibBpf.libbpf_num_possible_cpus();
        if (n <= 0) {
            throw BpfException.negative("libbpf_num_possible_cpus", n);
        }
        return n;
    }

    /**
     * Turns on kernel.bpf_stats_enabled for as long as the returned fd is open (the
     * BPF_ENABLE_STATS command); close it with {@link #closeFd(int)}.
     */
    public static int enableStats() {
        requireAvailable();
        int fd = LibBpf.bpf_enable_stats(0 /* BPF_STATS_RUN_TIME */);
        if (fd < 0) {
            throw BpfException.negative("bpf_enable_stats", fd);
        }
        return fd;
    }

    public static void closeFd(int fd) {
        Libc.close(fd);
    }

    public String name() {
        return name;
    }

    public Map<String, BpfProgram> programs() {
        return Collections.unmodifiableMap(programs);
    }

    public Optional<BpfProgram> findProgram(String programName) {
        return Optional.ofNullable(programs.get(programName));
    }

    public BpfProgram program(String programName) {
        BpfProgram p = programs.get(programName);
        if (p == null) {
            throw new IllegalArgumentException("no program " + programName + " in " + name);
        }
        return p;
    }

    public BpfMap map(String mapName) {
        BpfMap m = maps.get(mapName);
        if (m == null) {
            throw new IllegalArgumentException("no map " + mapName + " in " + name + " (has " + maps.keySet() + ")");
        }
        return m;
    }

    /**
     * The initial value of the object's .rodata section, writable until {@link #load()}
     * (a view of libbpf's copy; what is written here is what the kernel sees).
     */
    public ByteBuffer rodata() {
        ensureNotLoaded();
        BpfMap ro = maps.values().stream().filter(m -> m.name().endsWith(".rodata")).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " has no .rodata"));
        Memory size = new Memory(8);
        Pointer p = LibBpf.bpf_map__initial_value(ro.handle(), size);
        if (p == null) {
            throw BpfException.errno("bpf_map__initial_value(" + ro.name() + ")", Native.getLastError());
        }
        return p.getByteBuffer(0, size.getLong(0)).order(ByteOrder.nativeOrder());
    }

    /** Loads the programs marked for autoload and creates the maps. */
    public void load() {
        ensureNotLoaded();
        List<BpfProgram> enabled = new ArrayList<>();
        List<Memory> logs = new ArrayList<>();
        for (BpfProgram p : programs.values()) {
            if (p.autoload()) {
                Memory log = new Memory(LOG_SIZE);
                log.setByte(0, (byte) 0);
                LibBpf.bpf_program__set_log_buf(p.handle(), log, LOG_SIZE);
                enabled.add(p);
                logs.add(log);
            }
        }
        int ret = LibBpf.bpf_object__load(obj);
        for (BpfProgram p : enabled) {
            LibBpf.bpf_program__set_log_buf(p.handle(), null, 0);
        }
        if (ret < 0) {
            StringBuilder detail = new StringBuilder();
            for (int i = 0; i < enabled.size(); i++) {
                String log = logs.get(i).getString(0);
                if (!log.isEmpty()) {
                    String tail = log.length() > 4000 ? "..." + log.substring(log.length() - 4000) : log;
                    detail.append("verifier log of ").append(enabled.get(i).name()).append(":\n").append(tail);
                    failedProgram = enabled.get(i).name();
                }
            }
            throw BpfException.withDetail("bpf_object__load(" + name + ")", -ret, detail.toString());
        }
        loaded = true;
        elf = null; // libbpf no longer reads the ELF image after load
    }

    private String failedProgram;

    /** After a failed {@link #load()}: the program whose verifier log explains it, if any. */
    public Optional<String> failedProgram() {
        return Optional.ofNullable(failedProgram);
    }

    public boolean isLoaded() {
        return loaded;
    }

    void ensureLoaded() {
        if (!loaded) {
            throw new IllegalStateException(name + " is not loaded");
        }
        if (closed) {
            throw new BpfClosedException(name + " is closed");
        }
    }

    ObjectGuard guard() {
        return guard;
    }

    /**
     * Runs {@code fn}, a use of the object described by {@code what}, while the object cannot be
     * freed (e.g. reading the fdinfo of its programs' fds); throws {@link BpfClosedException} once
     * it is closed.
     */
    public <T> T guarded(String what, Supplier<T> fn) {
        return guard.call(what, fn);
    }

    private void ensureNotLoaded() {
        if (loaded) {
            throw new IllegalStateException(name + " is already loaded");
        }
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
    }

    /** As {@link #close(long)}, waiting up to {@value #CLOSE_WAIT_MS} ms. */
    @Override
    public void close() {
        close(CLOSE_WAIT_MS);
    }

    /**
     * Detaches every link still open and frees the object (maps and programs), once the calls
     * other threads make with it have returned; new calls fail at once with
     * {@link BpfClosedException}. Waits at most {@code timeoutMs} for those calls: false when they
     * did not end (the object is then left to the process exit, which detaches and frees it).
     * Idempotent.
     */
    public synchronized boolean close(long timeoutMs) {
        if (closed) {
            return freed;
        }
        closed = true;
        freed = guard.close(timeoutMs, () -> {
            for (BpfProgram p : programs.values()) {
                p.detachAll();
            }
            LibBpf.bpf_object__close(obj);
        });
        Objects.requireNonNull(nameMem);
        return freed;
    }
}
