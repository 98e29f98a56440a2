package io.netwatcher.calls;

import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.btf.Btf;
import io.netwatcher.event.CallCountEvent;
import io.netwatcher.probe.BpfObjects;
import io.netwatcher.probe.KernelHooks;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Kernel function call counts ({@code --count-calls}): loads calls.bpf.o, attaches its one kprobe
 * program to each requested function (the function's index as the attach cookie), and turns the
 * kernel's cumulative per-(cgroup, process, function) counters into per-interval
 * {@link CallCountEvent}s. Without kprobes (or with {@code --prefer-hook fentry}) its fentry
 * program instead, whose target is fixed at load: one copy of the object per function, sharing
 * the first copy's maps. With neither nothing is loaded and {@link #unavailable()} says why.
 */
public final class CallCounter implements AutoCloseable {
    static final String PROGRAM = "kp_count_call";
    static final String FENTRY_PROGRAM = "fe_count_call";

    /** How calls are counted on this kernel. */
    enum Backing {
        KPROBE("kprobe", PROGRAM),
        FENTRY("fentry", FENTRY_PROGRAM);

        final String label;
        final String program;

        Backing(String label, String program) {
            this.label = label;
            this.program = program;
        }
    }

    /** What became of one requested function. */
    public record FunctionStatus(String function, boolean counted, String detail) {
    }

    private final CallsConfig config;
    private final List<FunctionStatus> functions;
    private final String unavailable;
    private final Backing backing;
    /** The objects loaded: one (kprobe), or one per function counted (fentry; the first holds the maps). */
    private final List<BpfObject> objects;
    private final CallCountMap map;
    private final CallDeltas deltas;

    private CallCounter(CallsConfig config, List<FunctionStatus> functions, String unavailable, Backing backing,
                        List<BpfObject> objects, long nowNs) {
        this.config = config;
        this.functions = List.copyOf(functions);
        this.unavailable = unavailable;
        this.backing = backing;
        this.objects = List.copyOf(objects);
        this.map = objects.isEmpty() ? null : new CallCountMap(objects.get(0));
        this.deltas = new CallDeltas(config.functions(), nowNs);
    }

    /**
     * Loads and attaches for {@code config} on a kernel with {@code hooks}, fentry first when
     * {@code preferFentry}; never throws for a kernel that lacks both kprobes and fentry.
     */
    public static CallCounter open(CallsConfig config, KernelHooks hooks, boolean preferFentry, long nowNs)
            throws IOException {
        TraceableFunctions traceable = TraceableFunctions.read(TraceableFunctions.FTRACE_LISTS,
                TraceableFunctions.KALLSYMS);
        Optional<Backing> backing = backing(hooks.kprobeProblem(), hooks.fentryProblem(), preferFentry);
        if (backing.isEmpty()) {
            return unavailable(config, unavailability(hooks.kprobeProblem().orElseThrow(),
                    hooks.fentryProblem().orElseThrow()), traceable, nowNs);
        }
        return open(config, BpfObjects.read(BpfObjects.CALLS), traceable, backing.get(), nowNs);
    }

    /** kprobes where they work (fentry first if preferred), else fentry; empty when neither does. */
    static Optional<Backing> backing(Optional<String> kprobeProblem, Optional<String> fentryProblem,
                                     boolean preferFentry) {
        if (fentryProblem.isEmpty() && (preferFentry || kprobeProblem.isPresent())) {
            return Optional.of(Backing.FENTRY);
        }
        return kprobeProblem.isEmpty() ? Optional.of(Backing.KPROBE) : Optional.empty();
    }

    /** Why calls cannot be counted on a kernel that allows neither kprobes nor fentry. */
    static String unavailability(String kprobeProblem, String fentryProblem) {
        return "kernel function calls are counted with kprobes or fentry, and this kernel allows neither (kprobes:"
                + " the feature probe's attach failed: " + kprobeProblem + ", a kernel without CONFIG_KPROBES has"
                + " none; fentry: " + fentryProblem + ")";
    }

    /**
     * Nothing counted: {@code why} for every function, except those not traceable anyway (their own
     * reason, so a misspelt name is reported on every kernel).
     */
    static CallCounter unavailable(CallsConfig config, String why, TraceableFunctions traceable, long nowNs) {
        List<FunctionStatus> st = config.functions().stream()
                .map(f -> new FunctionStatus(f, false, traceable.problem(f).orElse(why))).toList();
        return new CallCounter(config, st, why, null, List.of(), nowNs);
    }

    static CallCounter open(CallsConfig config, byte[] elf, TraceableFunctions traceable, Backing backing,
                            long nowNs) {
        List<FunctionStatus> st = new ArrayList<>();
        List<Integer> usable = new ArrayList<>();
        for (int i = 0; i < config.functions().size(); i++) {
            String f = config.functions().get(i);
            Optional<String> problem = traceable.problem(f);
            if (problem.isPresent()) {
                st.add(new FunctionStatus(f, false, problem.get()));
            } else {
                st.add(null);
                usable.add(i);
            }
        }
        if (usable.isEmpty()) {
            return new CallCounter(config, st, null, backing, List.of(), nowNs);
        }
        List<BpfObject> objects = backing == Backing.KPROBE ? kprobes(config, elf, usable, st)
                : fentries(config, elf, usable, st);
        return new CallCounter(config, st, null, backing, objects, nowNs);
    }

    /** One object, its kprobe program attached to each function (its index as the cookie). */
    private static List<BpfObject> kprobes(CallsConfig config, byte[] elf, List<Integer> usable,
                                           List<FunctionStatus> st) {
        BpfObject obj = BpfObject.open("nw_calls", elf);
        try {
            CallCountMap.setCapacity(obj, config.maxEntries());
            obj.program(FENTRY_PROGRAM).setAutoload(false);
            obj.load();
            BpfProgram p = obj.program(PROGRAM);
            int attached = 0;
            for (int i : usable) {
                String f = config.functions().get(i);
                try {
                    p.attachKprobe(f, i);
                    st.set(i, new FunctionStatus(f, true, "kprobe"));
                    attached++;
                } catch (BpfException e) {
                    st.set(i, new FunctionStatus(f, false, "kprobe attach failed: "
                            + e.getMessage().lines().findFirst().orElse("")));
                }
            }
            if (attached == 0) {
                obj.close();
                return List.of();
            }
            return List.of(obj);
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    /**
     * One object per function, its fentry program loaded for that function (its index in
     * targ_func) and attached; every copy after the first uses the first one's maps. A function
     * the kernel refuses (not in its BTF, not traceable) is reported and the others go on.
     */
    private static List<BpfObject> fentries(CallsConfig config, byte[] elf, List<Integer> usable,
                                            List<FunctionStatus> st) {
        int funcOffset = Btf.ofObject(elf).varOffset(".rodata", "targ_func")
                .orElseThrow(() -> new IllegalStateException("targ_func not found in calls.bpf.o's .rodata"));
        List<BpfObject> objects = new ArrayList<>();
        try {
            for (int i : usable) {
                String f = config.functions().get(i);
                BpfObject obj = BpfObject.open("nw_calls_" + i, elf);
                try {
                    CallCountMap.setCapacity(obj, config.maxEntries());
                    if (!objects.isEmpty()) {
                        CallCountMap.share(obj, objects.get(0));
                    }
                    obj.program(PROGRAM).setAutoload(false);
                    obj.program(FENTRY_PROGRAM).setAttachTarget(f);
                    obj.rodata().putInt(funcOffset, i);
                    obj.load();
                    obj.program(FENTRY_PROGRAM).attach();
                    st.set(i, new FunctionStatus(f, true, "fentry"));
                    objects.add(obj);
                } catch (RuntimeException e) {
                    obj.close();
                    if (!(e instanceof BpfException)) {
                        throw e;
                    }
                    st.set(i, new FunctionStatus(f, false, "fentry load or attach failed: "
                            + e.getMessage().lines().findFirst().orElse("")));
                }
            }
            return objects;
        } catch (RuntimeException e) {
            for (int k = objects.size() - 1; k >= 0; k--) {
                objects.get(k).close();
            }
            throw e;
        }
    }

    /** Why no call is counted on this kernel (neither kprobes nor fentry), empty when the kernel allows it. */
    public Optional<String> unavailable() {
        return Optional.ofNullable(unavailable);
    }

    /** Each requested function: counted, or why not. */
    public List<FunctionStatus> functions() {
        return functions;
    }

    /** At least one function is counted. */
    public boolean counting() {
        return !objects.isEmpty();
    }

    /** The start-up log lines: what is counted (first, INFO) and what is not, with why (ERROR). */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (unavailable != null) {
            out.add("call counting UNAVAILABLE (--count-calls " + config.option() + "): " + unavailable
                    + "; running without call counts");
        }
        functions.stream().filter(s -> !s.counted() && !s.detail().equals(unavailable))
                .forEach(s -> out.add("call counting: " + s.function() + " (--count-calls) not counted: "
                        + s.detail()));
        return out;
    }

    /** The functions counted, for the start-up log, or empty. */
    public Optional<String> summary() {
        if (objects.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("call counting: " + functions.stream().filter(FunctionStatus::counted)
                .map(FunctionStatus::function).collect(Collectors.joining(", ")) + " <- " + backing.label + " ["
                + backing.program + (backing == Backing.FENTRY ? " x " + objects.size() : "")
                + "], per process and cgroup, every interval (map of " + map.capacity() + " counters)");
    }

    /**
     * The calls since the last poll, one event per (cgroup, process, function) that called
     * ({@link CallDeltas}: idle counters are deleted from the kernel's map).
     */
    public synchronized List<CallCountEvent> poll(long nowNs) {
        if (objects.isEmpty()) {
            return List.of();
        }
        return deltas.next(map.read(), nowNs, map::delete);
    }

    /** Calls not counted because the counter map was full (since load). */
    public long missedFull() {
        return objects.isEmpty() ? 0 : map.fullMisses();
    }

    @Override
    public void close() {
        for (int k = objects.size() - 1; k >= 0; k--) {
            objects.get(k).close();
        }
    }

    /**
     * As {@link #close()}, waiting at most {@code timeoutMs} for map reads in flight (on the first
     * object's maps, closed last).
     */
    public boolean close(long timeoutMs) {
        for (int k = objects.size() - 1; k > 0; k--) {
            objects.get(k).close();
        }
        return objects.isEmpty() || objects.get(0).close(timeoutMs);
    }
}
