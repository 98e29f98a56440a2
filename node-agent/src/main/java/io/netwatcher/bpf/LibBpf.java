package io.netwatcher.bpf;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * JNA direct mapping of the system libbpf ({@code libbpf.so.1}, 1.1 or newer). Internal: only
 * the classes of this package call it, and they turn negative returns and NULL pointers into
 * {@link BpfException}s. libbpf 1.x returns {@code -errno} from int functions and sets errno
 * for pointer functions; JNA keeps errno per thread ({@link Native#getLastError()}).
 */
final class LibBpf {
    private static final Throwable UNAVAILABLE;

    static {
        Throwable cause = null;
        try {
            Native.register(LibBpf.class, NativeLibrary.getInstance("libbpf.so.1"));
        } catch (Throwable t) {
            cause = t;
        }
        UNAVAILABLE = cause;
    }

    private LibBpf() {}

    static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    static Throwable unavailabilityCause() {
        return UNAVAILABLE;
    }

    /** {@code libbpf_print_fn_t}: {@code int (*)(enum libbpf_print_level, const char *, va_list)}. */
    interface PrintFn extends Callback {
        int invoke(int level, Pointer format, Pointer args);
    }

    static native Pointer libbpf_set_print(PrintFn fn);

    static native int libbpf_num_possible_cpus();

    static native Pointer bpf_object__open_mem(Pointer buf, long size, Pointer opts);

    static native int bpf_object__load(Pointer obj);

    static native void bpf_object__close(Pointer obj);

    static native Pointer bpf_object__next_program(Pointer obj, Pointer prev);

    static native Pointer bpf_object__next_map(Pointer obj, Pointer prev);

    static native String bpf_program__name(Pointer prog);

    static native String bpf_program__section_name(Pointer prog);

    static native int bpf_program__set_autoload(Pointer prog, boolean autoload);

    static native int bpf_program__set_type(Pointer prog, int type);

    static native int bpf_program__set_expected_attach_type(Pointer prog, int type);

    static native int bpf_program__set_log_buf(Pointer prog, Pointer buf, long size);

    static native int bpf_program__set_attach_target(Pointer prog, int attachProgFd, String attachFuncName);

    static native int bpf_map__reuse_fd(Pointer map, int fd);

    static native int bpf_program__fd(Pointer prog);

    static native Pointer bpf_program__attach(Pointer prog);

    static native Pointer bpf_program__attach_cgroup(Pointer prog, int cgroupFd);

    /** {@code opts}: a {@code struct bpf_kprobe_opts} (see {@link BpfProgram#attachKprobe}). */
    static native Pointer bpf_program__attach_kprobe_opts(Pointer prog, String func, Pointer opts);

    static native int bpf_link__destroy(Pointer link);

    static native int bpf_link__fd(Pointer link);

    static native Pointer bpf_program__attach_iter(Pointer prog, Pointer opts);

    static native int bpf_iter_create(int linkFd);

    static native String bpf_map__name(Pointer map);

    static native int bpf_map__fd(Pointer map);

    static native int bpf_map__set_max_entries(Pointer map, int maxEntries);

    static native int bpf_map__max_entries(Pointer map);

    static native int bpf_map__key_size(Pointer map);

    static native int bpf_map__value_size(Pointer map);

    static native int bpf_map__type(Pointer map);

    static native Pointer bpf_map__initial_value(Pointer map, Pointer psize);

    static native int bpf_map_lookup_elem(int fd, Pointer key, Pointer value);

    static native int bpf_map_update_elem(int fd, Pointer key, Pointer value, long flags);

    static native int bpf_map_delete_elem(int fd, Pointer key);

    static native int bpf_map_get_next_key(int fd, Pointer key, Pointer nextKey);

    static native int bpf_map_lookup_batch(int fd, Pointer inBatch, Pointer outBatch, Pointer keys,
                                           Pointer values, Pointer count, Pointer opts);

    static native int bpf_enable_stats(int type);
}
