package io.netwatcher.probe;

import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.bpf.LibBpfLog;
import io.netwatcher.btf.Btf;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the running kernel lets the agent hook: tracepoints (from the btf_trace_* typedefs in its
 * BTF), fentry/fexit trampolines and kprobes (by loading and attaching a tiny probe program),
 * kfuncs, and the cgroup v2 mount for cgroup_skb and sockops programs.
 */
public final class KernelHooks {
    private final Btf vmlinux;
    private final String fentryProblem;
    private final String kprobeProblem;
    private final Path cgroup2;

    KernelHooks(Btf vmlinux, String fentryProblem, String kprobeProblem, Path cgroup2) {
        this.vmlinux = vmlinux;
        this.fentryProblem = fentryProblem;
        this.kprobeProblem = kprobeProblem;
        this.cgroup2 = cgroup2;
    }

    /** Probes the kernel with the programs of features.bpf.o. */
    public static KernelHooks detect(Btf vmlinux, byte[] featuresObject, Optional<Path> cgroup2) {
        // Quietly: a probe that fails is an answer (reported per boundary), not a warning.
        String fentry = LibBpfLog.quietly(() -> tryAttach(featuresObject, "probe_fentry"));
        String kprobe = LibBpfLog.quietly(() -> tryAttach(featuresObject, "probe_kprobe"));
        return new KernelHooks(vmlinux, fentry, kprobe, cgroup2.orElse(null));
    }

    /** null when {@code program} loads and attaches, else why not. */
    private static String tryAttach(byte[] object, String program) {
        try (BpfObject obj = BpfObject.open("nw_features", object)) {
            for (BpfProgram p : obj.programs().values()) {
                p.setAutoload(p.name().equals(program));
            }
            obj.load();
            obj.program(program).attach().close();
            return null;
        } catch (BpfException e) {
            return e.getMessage().lines().findFirst().orElse(e.getMessage());
        }
    }

    /**
     * These hooks without the kernel's BTF: what a loaded probe set keeps. The parsed BTF of a
     * kernel is about 20 MiB of heap and is needed only to choose the programs at load;
     * {@link #problem} then fails.
     */
    KernelHooks withoutBtf() {
        return new KernelHooks(null, fentryProblem, kprobeProblem, cgroup2);
    }

    /** The kernel's BTF; null in the hooks a loaded probe set keeps ({@link #withoutBtf()}). */
    Btf vmlinux() {
        return vmlinux;
    }

    public boolean fentrySupported() {
        return fentryProblem == null;
    }

    public boolean kprobesSupported() {
        return kprobeProblem == null;
    }

    /** Why kprobes cannot be used here (the feature probe's error), empty when they can. */
    public Optional<String> kprobeProblem() {
        return Optional.ofNullable(kprobeProblem);
    }

    /** Why fentry/fexit cannot be used here (the feature probe's error), empty when they can. */
    public Optional<String> fentryProblem() {
        return Optional.ofNullable(fentryProblem);
    }

    public Optional<Path> cgroup2() {
        return Optional.ofNullable(cgroup2);
    }

    /** null when {@code program} can back its boundary on this kernel, else the reason it cannot. */
    public String problem(BpfProgram program, Boundary.ProgramRef ref) {
        if (vmlinux == null) {
            throw new IllegalStateException("the kernel's BTF was released after the probes were loaded");
        }
        HookKind kind = HookKind.ofSection(program.section());
        String target = program.target();
        return switch (kind) {
            case TRACEPOINT -> {
                Optional<Integer> params = vmlinux.paramCount("btf_trace_" + target);
                if (params.isEmpty()) {
                    yield "kernel has no tracepoint " + target;
                }
                int args = params.get() - 1; // the first parameter is the context pointer
                yield args < ref.minArgs() ? "tracepoint " + target + " has " + args + " arguments, needs "
                        + ref.minArgs() : null;
            }
            case FENTRY, FEXIT -> fentryProblem != null ? "fentry/fexit unavailable: " + fentryProblem
                    : !vmlinux.has(target, Btf.KIND_FUNC) ? "kernel BTF has no function " + target
                    : ref.minArgs() > 0 && vmlinux.paramCount(target).orElse(-1) != ref.minArgs()
                    ? "function " + target + " has " + vmlinux.paramCount(target).orElse(-1) + " parameters, the"
                    + " program reads " + ref.minArgs()
                    : null;
            case KPROBE -> kprobeProblem != null ? "kprobes unavailable: " + kprobeProblem
                    : vmlinux.has(target, Btf.KIND_FUNC) ? null : "kernel has no function " + target;
            case ITERATOR -> vmlinux.has("bpf_iter_" + target, Btf.KIND_FUNC) ? null
                    : "kernel has no BPF iterator " + target + " (v5.9+)";
            case NETFILTER -> vmlinux.has("bpf_nf_ctx", Btf.KIND_STRUCT) ? null
                    : "kernel has no BPF netfilter links (struct bpf_nf_ctx not in its BTF; v6.4+)";
            case SOCKOPS -> cgroup2 == null ? "no cgroup v2 mount" : null;
            case CGROUP_SKB -> cgroup2 == null ? "no cgroup v2 mount"
                    : ref.kfunc().isEmpty() || vmlinux.has(ref.kfunc(), Btf.KIND_FUNC) ? null
                    : "kernel lacks kfunc " + ref.kfunc();
        };
    }
}
