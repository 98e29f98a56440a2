package io.netwatcher.calls;

import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
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
 * {@link CallCountEvent}s. Without kprobes nothing is loaded and {@link #unavailable()} says why.
 */
public final class CallCounter implements AutoCloseable {
    static final String PROGRAM = "kp_count_call";

    /** What became of one requested function. */
    public record FunctionStatus(String function, boolean counted, String detail) {
    }

    private final CallsConfig config;
    private final List<FunctionStatus> functions;
    private final String unavailable;
    private final BpfObject object;
    private final CallCountMap map;
    private final CallDeltas deltas;

    private CallCounter(CallsConfig config, List<FunctionStatus> functions, String unavailable, BpfObject object,
                        long nowNs) {
        this.config = config;
        this.functions = List.copyOf(functions);
        this.unavailable = unavailable;
        this.object = object;
        this.map = object == null ? null : new CallCountMap(object);
        this.deltas = new CallDeltas(config.functions(), nowNs);
    }

    /** Loads and attaches for {@code config} on a kernel with {@code hooks}; never throws for a kernel that lacks kprobes. */
    public static CallCounter open(CallsConfig config, KernelHooks hooks, long nowNs) throws IOException {
        TraceableFunctions traceable = TraceableFunctions.read(TraceableFunctions.FTRACE_LISTS,
                TraceableFunctions.KALLSYMS);
        Optional<String> why = unavailability(hooks.kprobeProblem(), hooks.fentryProblem());
        if (why.isPresent()) {
            return unavailable(config, why.get(), traceable, nowNs);
        }
        return open(config, BpfObjects.read(BpfObjects.CALLS), traceable, nowNs);
    }

    /**
     * Why calls cannot be counted on a kernel with {@code hooks}: they are counted with kprobes only
     * (fentry needs one program load per function; not built yet).
     */
    static Optional<String> unavailability(Optional<String> kprobeProblem, Optional<String> fentryProblem) {
        if (kprobeProblem.isEmpty()) {
            return Optional.empty();
        }
        String fentry = fentryProblem.map(p -> "fentry, refused too (" + p + "), is no substitute yet")
                .orElse("fentry works here but is not a backing of call counts yet");
        return Optional.of("kernel function calls are counted with kprobes, which this kernel does not allow (the"
                + " feature probe's attach failed: " + kprobeProblem.get() + "; a kernel without CONFIG_KPROBES has"
                + " none); " + fentry);
    }

    /**
     * Nothing counted: {@code why} for every function, except those not traceable anyway (their own
     * reason, so a misspelt name is reported on every kernel).
     */
    static CallCounter unavailable(CallsConfig config, String why, TraceableFunctions traceable, long nowNs) {
        List<FunctionStatus> st = config.functions().stream()
                .map(f -> new FunctionStatus(f, false, traceable.problem(f).orElse(why))).toList();
        return new CallCounter(config, st, why, null, nowNs);
    }

    static CallCounter open(CallsConfig config, byte[] elf, TraceableFunctions traceable, long nowNs) {
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
            return new CallCounter(config, st, null, null, nowNs);
        }
        BpfObject obj = BpfObject.open("nw_calls", elf);
        try {
            CallCountMap.setCapacity(obj, config.maxEntries());
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
                return new CallCounter(config, st, null, null, nowNs);
            }
            return new CallCounter(config, st, null, obj, nowNs);
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    /** Why no call is counted on this kernel (kprobes missing), empty when the kernel allows it. */
    public Optional<String> unavailable() {
        return Optional.ofNullable(unavailable);
    }

    /** Each requested function: counted, or why not. */
    public List<FunctionStatus> functions() {
        return functions;
    }

    /** At least one function is counted. */
    public boolean counting() {
        return object != null;
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
        if (object == null) {
            return Optional.empty();
        }
        return Optional.of("call counting: " + functions.stream().filter(FunctionStatus::counted)
                .map(FunctionStatus::function).collect(Collectors.joining(", ")) + " <- kprobe [" + PROGRAM
                + "], per process and cgroup, every interval (map of " + map.capacity() + " counters)");
    }

    /**
     * The calls since the last poll, one event per (cgroup, process, function) that called
     * ({@link CallDeltas}: idle counters are deleted from the kernel's map).
     */
    public synchronized List<CallCountEvent> poll(long nowNs) {
        if (object == null) {
            return List.of();
        }
        return deltas.next(map.read(), nowNs, map::delete);
    }

    /** Calls not counted because the counter map was full (since load). */
    public long missedFull() {
        return object == null ? 0 : map.fullMisses();
    }

    @Override
    public void close() {
        if (object != null) {
            object.close();
        }
    }

    /** As {@link #close()}, waiting at most {@code timeoutMs} for map reads in flight. */
    public boolean close(long timeoutMs) {
        return object == null || object.close(timeoutMs);
    }
}
