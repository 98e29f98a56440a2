package io.netwatcher.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One program of a {@link BpfObject}. */
public final class BpfProgram {
    private final BpfObject owner;
    private final Pointer prog;
    private final String name;
    private final String section;
    private final String what;
    private final List<BpfLink> links = new ArrayList<>();

    BpfProgram(BpfObject owner, Pointer prog) {
        this.owner = owner;
        this.prog = prog;
        this.name = LibBpf.bpf_program__name(prog);
        this.section = LibBpf.bpf_program__section_name(prog);
        this.what = "program " + name;
    }

    Pointer handle() {
        return prog;
    }

    public String name() {
        return name;
    }

    /** The ELF section, e.g. {@code tp_btf/tcp_probe} or {@code cgroup_skb/ingress}. */
    public String section() {
        return section;
    }

    /** The hook kind: the section up to the first '/', e.g. tp_btf, fentry, kprobe, cgroup_skb. */
    public String kind() {
        int i = section.indexOf('/');
        return i < 0 ? section : section.substring(0, i);
    }

    /** The hook target: the section after the first '/', e.g. tcp_probe. */
    public String target() {
        int i = section.indexOf('/');
        return i < 0 ? "" : section.substring(i + 1);
    }

    private boolean autoload = true;

    public void setAutoload(boolean on) {
        int ret = LibBpf.bpf_program__set_autoload(prog, on);
        if (ret < 0) {
            throw BpfException.negative("bpf_program__set_autoload(" + name + ")", ret);
        }
        autoload = on;
    }

    public boolean autoload() {
        return autoload;
    }

    /**
     * The program's fd after load (for fdinfo run-time statistics: read it within
     * {@link BpfObject#guarded}, the fd is closed with the object).
     */
    public int fd() {
        owner.ensureLoaded();
        int fd = owner.guard().callInt(what, () -> LibBpf.bpf_program__fd(prog));
        if (fd < 0) {
            throw BpfException.negative("bpf_program__fd(" + name + ")", fd);
        }
        return fd;
    }

    /** Attaches as the section says (tracepoints, fentry, kprobes). */
    public synchronized BpfLink attach() {
        owner.ensureLoaded();
        Pointer link = LibBpf.bpf_program__attach(prog);
        if (link == null) {
            throw BpfException.errno("bpf_program__attach(" + name + ")", Native.getLastError());
        }
        BpfLink l = new BpfLink(name, link, owner.guard());
        links.add(l);
        return l;
    }

    /**
     * Attaches a kprobe program (SEC("kprobe")) to the entry of kernel function {@code function},
     * with {@code cookie} for the program's bpf_get_attach_cookie() (v5.15+). One program can be
     * attached to many functions this way, one link each.
     */
    public synchronized BpfLink attachKprobe(String function, long cookie) {
        owner.ensureLoaded();
        // libbpf 1.1's struct bpf_kprobe_opts: size_t sz; __u64 bpf_cookie; size_t offset; bool retprobe;
        // then padding to 8 (32 bytes); libbpf checks sz and that bytes past the fields it knows are 0.
        Memory opts = new Memory(KPROBE_OPTS_SIZE); // freed by the GC; libbpf does not keep it
        opts.clear();
        opts.setLong(0, KPROBE_OPTS_SIZE);
        opts.setLong(8, cookie);
        Pointer link = LibBpf.bpf_program__attach_kprobe_opts(prog, function, opts);
        if (link == null) {
            throw BpfException.errno("bpf_program__attach_kprobe_opts(" + name + ", " + function + ")",
                    Native.getLastError());
        }
        BpfLink l = new BpfLink(name + "@" + function, link, owner.guard());
        links.add(l);
        return l;
    }

    private static final int KPROBE_OPTS_SIZE = 32;

    /** Attaches a BPF iterator program (SEC("iter/...")); run it with {@link BpfLink#runIterator()}. */
    public synchronized BpfLink attachIterator() {
        owner.ensureLoaded();
        Pointer link = LibBpf.bpf_program__attach_iter(prog, null);
        if (link == null) {
            throw BpfException.errno("bpf_program__attach_iter(" + name + ")", Native.getLastError());
        }
        BpfLink l = new BpfLink(name, link, owner.guard());
        links.add(l);
        return l;
    }

    /** Attaches a cgroup program (cgroup_skb, sockops) to the cgroup v2 directory at {@code cgroup}. */
    public synchronized BpfLink attachCgroup(Path cgroup) {
        owner.ensureLoaded();
        if (!Files.isDirectory(cgroup)) {
            throw new IllegalArgumentException("not a cgroup directory: " + cgroup);
        }
        int fd = Libc.openDirectory(cgroup.toString());
        try {
            Pointer link = LibBpf.bpf_program__attach_cgroup(prog, fd);
            if (link == null) {
                throw BpfException.errno("bpf_program__attach_cgroup(" + name + ", " + cgroup + ")",
                        Native.getLastError());
            }
            BpfLink l = new BpfLink(name, link, owner.guard());
            links.add(l);
            return l;
        } finally {
            Libc.close(fd);
        }
    }

    synchronized void detachAll() {
        for (BpfLink l : links) {
            l.close();
        }
        links.clear();
    }

    @Override
    public String toString() {
        return name + " (" + section + ")";
    }
}
