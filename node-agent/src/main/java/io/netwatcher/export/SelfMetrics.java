package io.netwatcher.export;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netwatcher.agent.Agent;
import io.netwatcher.agent.AgentStats;
import io.netwatcher.anomaly.LatencyAnomalies;
import io.netwatcher.bpf.BpfClosedException;
import io.netwatcher.calls.CallCounter;
import io.netwatcher.cost.ProbeBudget;
import io.netwatcher.kernel.KernelStat;
import io.netwatcher.kernel.MapView;
import io.netwatcher.kube.KubeContext;
import io.netwatcher.kube.KubeHealth;
import io.netwatcher.probe.Attachment;
import io.netwatcher.probe.ProbeSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The agent's own health as Micrometer meters: ring-buffer records read, undecodable and lost;
 * events over the caps; map fill levels; BPF run time per program; which hook backs each boundary;
 * the Kubernetes watches; the process (resident memory, CPU, JVM).
 */
public final class SelfMetrics implements AutoCloseable {
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /** Meters that need nothing but the JVM and the process. */
    public SelfMetrics(MeterRegistry r) {
        new JvmMemoryMetrics().bindTo(r);
        gc.bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ClassLoaderMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        new UptimeMetrics().bindTo(r);
        new FileDescriptorMetrics().bindTo(r);
        Gauge.builder("netwatcher.process.resident.memory", SelfMetrics::residentBytes).baseUnit("bytes")
                .description("Resident set size of the agent process (/proc/self/statm)").register(r);
    }

    static double residentBytes() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
            return Long.parseLong(f[1]) * 4096.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Meters of the running agent: call once the probes are loaded. */
    public static void bindAgent(MeterRegistry r, AgentStats stats, ProbeSet probes) {
        counter(r, "netwatcher.ringbuf.records.read", "Records read from the ring buffer", stats,
                s -> s.recordsRead());
        counter(r, "netwatcher.ringbuf.records.undecodable", "Records that could not be decoded", stats,
                s -> s.decodeErrors());
        counter(r, "netwatcher.ringbuf.records.lost",
                "Records the kernel could not write because the ring buffer was full", stats,
                s -> s.kernelStat(KernelStat.RINGBUF_LOST));
        FunctionCounter.builder("netwatcher.events.capped", stats, s -> s.kernelStat(KernelStat.SAMPLE_CAPPED))
                .description("Events not reported because of the per-second caps (still counted in metrics)")
                .tag("kind", "packet").register(r);
        FunctionCounter.builder("netwatcher.events.capped", stats, s -> s.kernelStat(KernelStat.ERR_CAPPED))
                .description("Events not reported because of the per-second caps (still counted in metrics)")
                .tag("kind", "error").register(r);
        FunctionCounter.builder("netwatcher.packets.untracked", stats, s -> s.kernelStat(KernelStat.RX_UNTRACKED))
                .description("Packets whose layer times could not be followed to the socket").tag("direction", "receive")
                .register(r);
        FunctionCounter.builder("netwatcher.packets.untracked", stats, s -> s.kernelStat(KernelStat.TX_UNTRACKED))
                .description("Packets whose layer times could not be followed to the socket").tag("direction", "transmit")
                .register(r);
        FunctionCounter.builder("netwatcher.packets.duplicate", stats, s -> s.kernelStat(KernelStat.RX_DUPLICATE))
                .description("Received segments with only bytes the socket had already received (retransmissions):"
                        + " no packet event, no socket-layer time").register(r);
        counter(r, "netwatcher.listener.errors", "Events an output failed on", stats, s -> s.listenerErrors());
        for (MapView m : probes.maps().hashMaps()) {
            m.fullStat().ifPresent(full -> FunctionCounter.builder("netwatcher.map.full", stats,
                            s -> s.kernelStat(full)).description("Inserts refused because a map was full")
                    .tag("map", m.name()).register(r));
            Gauge.builder("netwatcher.map.entries", m, SelfMetrics::entries)
                    .description("Entries in a BPF hash map now").tag("map", m.name()).register(r);
            int capacity = m.capacity(); // fixed once loaded
            Gauge.builder("netwatcher.map.capacity", m, x -> capacity)
                    .description("Maximum entries of a BPF hash map").tag("map", m.name()).register(r);
        }
        RunStatsCache runs = new RunStatsCache(probes);
        for (String program : probes.runStats().keySet()) {
            FunctionCounter.builder("netwatcher.bpf.program.run.time", runs, c -> c.get(program).runTimeNs() / 1e9)
                    .baseUnit("seconds").description("Run time of a BPF program (counted while bpf_stats is on)")
                    .tag("program", program).register(r);
            FunctionCounter.builder("netwatcher.bpf.program.runs", runs, c -> c.get(program).runCount())
                    .description("Invocations of a BPF program (counted while bpf_stats is on)")
                    .tag("program", program).register(r);
        }
        RecursionMisses misses = new RecursionMisses(probes);
        for (String program : probes.recursionMisses().keySet()) {
            FunctionCounter.builder("netwatcher.bpf.program.recursion.misses", misses, m -> m.get(program))
                    .description("Runs of a BPF program the kernel skipped because it was already running on that"
                            + " CPU (an interrupt nested it): those events were not seen")
                    .tag("program", program).register(r);
        }
        for (Attachment a : probes.attachments()) {
            Gauge.builder("netwatcher.boundary.attached", a, x -> x.ok() ? 1 : 0)
                    .description("1 when a boundary is backed (attached, or not needed), 0 when it is missing")
                    .tag("boundary", a.boundary().id()).tag("hook", a.kind() == null ? "none" : a.kind().label())
                    .tag("status", a.status().name().toLowerCase(Locale.ROOT)).register(r);
        }
    }

    /** Call counting (--count-calls): which functions are counted, and calls missed for a full counter map. */
    public static void bindCalls(MeterRegistry r, CallCounter calls) {
        for (CallCounter.FunctionStatus f : calls.functions()) {
            Gauge.builder("netwatcher.calls.function.counted", f, x -> x.counted() ? 1 : 0)
                    .description("1 when calls of a kernel function named with --count-calls are counted, 0 when"
                            + " they cannot be (no kprobes, not traceable; the log says why)")
                    .tag("function", f.function()).register(r);
        }
        if (calls.counting()) {
            FunctionCounter.builder("netwatcher.map.full", calls, c -> {
                try {
                    return c.missedFull();
                } catch (BpfClosedException e) {
                    return Double.NaN;
                }
            }).description("Inserts refused because a map was full").tag("map", "call_counts").register(r);
        }
    }

    /** The latency anomaly detector's state: series followed, series evicted to stay within the cap. */
    public static void bindAnomalies(MeterRegistry r, LatencyAnomalies anomalies) {
        Gauge.builder("netwatcher.anomaly.series", anomalies, LatencyAnomalies::series)
                .description("Layer latency series (cgroup, direction, layer) the anomaly detector follows now")
                .register(r);
        FunctionCounter.builder("netwatcher.anomaly.series.evicted", anomalies, LatencyAnomalies::evicted)
                .description("Series the anomaly detector dropped to stay within --max-series (the least recently"
                        + " updated; one that comes back warms up again)").register(r);
    }

    /** What the agent costs the node and how it holds that cost: the probes' CPU, the sampling, wake-ups. */
    public static void bindCost(MeterRegistry r, Agent agent, AgentStats stats) {
        ProbeBudget b = agent.budget();
        Gauge.builder("netwatcher.bpf.cpu.utilization", b, ProbeBudget::lastCost)
                .description("Run time of the probes per second of the last measurement, as a fraction of one core"
                        + " (the kernel counts it for 1 s every 10 s)").register(r);
        Gauge.builder("netwatcher.bpf.cpu.budget", b, ProbeBudget::budget)
                .description("The probes' CPU budget, as a fraction of one core (0 = none)").register(r);
        Gauge.builder("netwatcher.bpf.cpu.budget.exceeded", b, x -> x.exceeded() ? 1 : 0)
                .description("1 while the probes cost more than the budget even at the sparsest packet timing")
                .register(r);
        Gauge.builder("netwatcher.packet.timing.sample_every", b, ProbeBudget::timeEvery)
                .description("One packet in this many is timed through the layers now (1 = every packet)")
                .register(r);
        FunctionCounter.builder("netwatcher.packets.picked", stats, s -> s.kernelStat(KernelStat.RX_PICKED))
                .description("Packets picked for layer timing at their first hook").tag("direction", "receive")
                .register(r);
        FunctionCounter.builder("netwatcher.packets.picked", stats, s -> s.kernelStat(KernelStat.TX_PICKED))
                .description("Packets picked for layer timing at their first hook").tag("direction", "transmit")
                .register(r);
        FunctionCounter.builder("netwatcher.packets.stale", stats, s -> s.kernelStat(KernelStat.TX_STALE))
                .description("Timed packets given up before their last boundary (dropped in a qdisc, sent by"
                        + " another CPU, segmented in software)").tag("direction", "transmit").register(r);
        FunctionCounter.builder("netwatcher.netfilter.unmatched", stats, s -> s.kernelStat(KernelStat.NF_UNMATCHED))
                .description("Netfilter hook passes not timed: the hook's last program found another packet's stamp"
                        + " (a packet nested on the CPU, or a task preempted or moved between the two programs)")
                .register(r);
        FunctionCounter.builder("netwatcher.ringbuf.wakeups", agent, Agent::ringWakeups)
                .description("Times the ring-buffer reader woke: on the kernel's signal (epoll) or on its 100 ms"
                        + " timer").tag("cause", "signal").register(r);
        FunctionCounter.builder("netwatcher.ringbuf.wakeups", agent, Agent::ringTimerWakeups)
                .description("Times the ring-buffer reader woke: on the kernel's signal (epoll) or on its 100 ms"
                        + " timer").tag("cause", "timer").register(r);
        FunctionCounter.builder("netwatcher.ringbuf.wakeups.requested", stats,
                        s -> s.kernelStat(KernelStat.RB_WAKEUP))
                .description("Records the probes submitted with a wake-up (the ring crossed an eighth full); every"
                        + " other record is submitted without one").register(r);
    }

    /** Meters of the Kubernetes watches and caches. */
    public static void bindKube(MeterRegistry r, KubeContext kube) {
        Gauge.builder("netwatcher.kube.pods", kube, k -> k.nodePods().size())
                .description("Pods of this node in the cache").tag("scope", "node").register(r);
        Gauge.builder("netwatcher.kube.addresses", kube, k -> k.cluster().podAddresses())
                .description("Addresses in the cluster address book").tag("kind", "pod").register(r);
        Gauge.builder("netwatcher.kube.addresses", kube, k -> k.cluster().serviceAddresses())
                .description("Addresses in the cluster address book").tag("kind", "service").register(r);
        Gauge.builder("netwatcher.kube.cgroups", kube, k -> k.attribution().cachedCgroups())
                .description("Cgroups resolved to pods (cache)").register(r);
        KubeHealth h = kube.health();
        for (String watch : List.of("node-pods", "cluster-pods", "services")) {
            for (KubeHealth.State s : KubeHealth.State.values()) {
                Gauge.builder("netwatcher.kube.watch.state", h, x -> x.state(watch) == s ? 1 : 0)
                        .description("1 for the state each Kubernetes watch is in").tag("watch", watch)
                        .tag("state", s.name().toLowerCase(Locale.ROOT)).register(r);
            }
        }
        FunctionCounter.builder("netwatcher.kube.errors", h, KubeHealth::errors)
                .description("Kubernetes API list/watch errors").register(r);
        FunctionCounter.builder("netwatcher.kube.disconnects", h, KubeHealth::disconnects)
                .description("Times a Kubernetes watch was lost").register(r);
        Gauge.builder("netwatcher.kube.synced", kube, k -> k.synced() ? 1 : 0)
                .description("1 when every Kubernetes watch is synced").register(r);
    }

    /** Entries in a map now; NaN once the probes are closed (a scrape during shutdown). */
    static double entries(MapView m) {
        try {
            return m.entries();
        } catch (BpfClosedException e) {
            return Double.NaN;
        }
    }

    private static <T> void counter(MeterRegistry r, String name, String description, T obj, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, obj, f).description(description).register(r);
    }

    /**
     * fdinfo read at most once a second for all programs, not once per program and scrape; the
     * last values once the probes are closed (counters do not go back).
     */
    private static final class RunStatsCache {
        private final ProbeSet probes;
        private Map<String, ProbeSet.RunStats> last = Map.of();
        private long readAt;

        RunStatsCache(ProbeSet probes) {
            this.probes = probes;
        }

        synchronized ProbeSet.RunStats get(String program) {
            long now = System.nanoTime();
            if (now - readAt > 1_000_000_000L || last.isEmpty()) {
                try {
                    last = probes.runStats();
                } catch (BpfClosedException e) {
                    // shutting down: keep the last values
                }
                readAt = now;
            }
            return last.getOrDefault(program, new ProbeSet.RunStats(0, 0));
        }
    }

    /** fdinfo read at most once a second for all programs. */
    private static final class RecursionMisses {
        private final ProbeSet probes;
        private Map<String, Long> last = Map.of();
        private long readAt;

        RecursionMisses(ProbeSet probes) {
            this.probes = probes;
        }

        synchronized double get(String program) {
            long now = System.nanoTime();
            if (now - readAt > 1_000_000_000L || last.isEmpty()) {
                try {
                    last = probes.recursionMisses();
                } catch (BpfClosedException e) {
                    // the probes are gone: the counters keep their last values
                }
                readAt = now;
            }
            return last.getOrDefault(program, 0L);
        }
    }

    @Override
    public void close() {
        gc.close();
    }
}
