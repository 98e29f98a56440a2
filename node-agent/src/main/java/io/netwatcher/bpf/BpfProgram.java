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

    /**
     * Sets the program type and expected attach type before load, for a section libbpf does not
     * know (libbpf 1.1 predates SEC("netfilter")). Values of the kernel's enum bpf_prog_type and
     * enum bpf_attach_type.
     */
    /**
     * The kernel function a fentry/fexit program with no target in its section (SEC("fentry"))
     * attaches to; set before load (the kernel checks the program against that function).
     */
    public void setAttachTarget(String function) {
        int ret = LibBpf.bpf_program__set_attach_target(prog, 0, function);
        if (ret < 0) {
            throw BpfException.negative("bpf_program__set_attach_target(" + name + ", " + function + ")", ret);
        }
    }

    public void setType(int progType, int expectedAttachType) {
        int ret = LibBpf.bpf_program__set_type(prog, progType);
        if (ret < 0) {
            throw BpfException.negative("bpf_program__set_type(" + name + ")", ret);
        }
        ret = LibBpf.bpf_program__set_expected_attach_type(prog, expectedAttachType);
        if (ret < 0) {
            throw BpfException.negative("bpf_program__set_expected_attach_type(" + name + ")", ret);
        }
    }

    /**
     * Links a netfilter program (BPF_PROG_TYPE_NETFILTER) to one hook of the calling thread's
     * network namespace, with bpf(BPF_LINK_CREATE) directly: libbpf 1.1 has no netfilter link.
     * The kernel refuses the priorities NF_IP_PRI_FIRST and NF_IP_PRI_LAST themselves
     * (bpf_nf_check_pf_and_hooks: ERANGE). The caller closes the link (it is not one of the
     * program's links closed with the object, as it belongs to one namespace).
     */
    public BpfLink attachNetfilter(int pf, int hooknum, int priority) {
        owner.ensureLoaded();
        int progFd = fd();
        try (Memory attr = new Memory(BPF_ATTR_SIZE)) {
            attr.clear();
            attr.setInt(0, progFd);                   // link_create.prog_fd
            attr.setInt(8, BPF_NETFILTER);            // link_create.attach_type
            attr.setInt(16, pf);                      // link_create.netfilter.pf
            attr.setInt(20, hooknum);                 // link_create.netfilter.hooknum
            attr.setInt(24, priority);                // link_create.netfilter.priority
            long fd = Libc.syscall(bpfSyscall(), BPF_LINK_CREATE, attr, BPF_ATTR_SIZE);
            if (fd < 0) {
                throw BpfException.errno("bpf(BPF_LINK_CREATE, " + name + ", pf " + pf + ", hook " + hooknum
                        + ", priority " + priority + ")", Native.getLastError());
            }
            return BpfLink.ofFd(name, (int) fd, owner.guard());
        }
    }

    /** enum bpf_prog_type BPF_PROG_TYPE_NETFILTER (include/uapi/linux/bpf.h, v6.4). */
    public static final int BPF_PROG_TYPE_NETFILTER = 32;
    /** enum bpf_attach_type BPF_NETFILTER (include/uapi/linux/bpf.h, v6.4). */
    public static final int BPF_NETFILTER = 45;
    private static final int BPF_LINK_CREATE = 28;
    /** Large enough for link_create's netfilter member (ends at byte 32); the rest stays zero. */
    private static final int BPF_ATTR_SIZE = 64;

    private static long bpfSyscall() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 321;
            case "aarch64" -> 280;
            default -> throw new UnsupportedOperationException("bpf(2) number unknown on " + System.getProperty("os.arch"));
        };
    }

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
