package io.netwatcher;

import io.netwatcher.agent.Agent;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.btf.Btf;
import io.netwatcher.cgroup.Cgroup2Mount;
import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.config.AgentConfig;
import io.netwatcher.config.AgentOptions;
import io.netwatcher.cost.JvmOptions;
import io.netwatcher.cost.Priority;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.export.Export;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.identity.NetnsCgroups;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.kube.KubeContext;
import io.netwatcher.logging.Logging;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import io.netwatcher.output.EventPrinter;
import io.netwatcher.output.JsonEventFormatter;
import io.netwatcher.output.TableFormatter;
import io.netwatcher.output.WatchedOutputStream;
import io.netwatcher.probe.ProbeSet;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Entry point: {@code java -jar netwatcher-agent.jar --standalone [options]}. */
public final class Main {
    /** Exit status for bad command-line input. */
    public static final int EXIT_USAGE = 2;
    /** Exit status when the agent cannot start (no BTF, no privileges, no libbpf). */
    public static final int EXIT_START = 1;
    /**
     * Time the whole shutdown may take (SIGTERM to exit): well inside the chart's
     * terminationGracePeriodSeconds (30). Each step has its own, smaller bound.
     */
    static final long SHUTDOWN_BUDGET_MS = 15_000;

    private Main() {}

    /** Set by main(): a signal then ends the JVM with run's status, not the JVM's 128+signal. */
    private static volatile boolean exitOnSignal;
    /** Set by the shutdown hook (SIGTERM, SIGINT): main must then return instead of System.exit. */
    private static volatile boolean shuttingDown;
    /** Counted down when main has detached the probes and flushed its output; then STATUS holds its status. */
    private static final CountDownLatch FINISHED = new CountDownLatch(1);
    private static volatile int status;

    public static void main(String[] args) {
        exitOnSignal = true;
        status = run(args, System.getenv(), System.out, System.err);
        FINISHED.countDown();
        if (!shuttingDown) {
            System.exit(status);
        }
    }

    /** Runs the agent until it stops; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.getenv(), out, err);
    }

    /** As {@link #run(String[], PrintStream, PrintStream)}, with this environment (NODE_NAME, ...). */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        AgentOptions options = new AgentOptions();
        CommandLine cl = new CommandLine(options);
        AgentConfig config;
        try {
            cl.parseArgs(args);
            if (cl.isUsageHelpRequested()) {
                cl.usage(out);
                return 0;
            }
            if (cl.isVersionHelpRequested()) {
                cl.printVersionHelp(out);
                return 0;
            }
            config = options.toConfig(env);
        } catch (CommandLine.PicocliException e) {
            // Bad values, unknown options, and unreadable @-files (picocli's InitializationException).
            String why = firstLine(e.getMessage());
            if (e.getCause() != null && e.getCause().getMessage() != null) {
                why += ": " + firstLine(e.getCause().getMessage());
            }
            err.println("netwatcher: " + why + " (see --help)");
            return EXIT_USAGE;
        }
        return start(config, env, out, err);
    }

    private static String firstLine(String s) {
        return s == null ? "invalid arguments" : s.lines().findFirst().orElse("invalid arguments");
    }

    private static int start(AgentConfig config, Map<String, String> env, PrintStream out, PrintStream err) {
        Logging.bridgeJavaUtilLogging();
        Logger log = LoggerFactory.getLogger(Main.class);
        JvmOptions.warning().ifPresent(log::warn);
        boolean kube = config.kubernetes(env);
        if (!config.standalone() && !kube) {
            log.info("not in a cluster (no KUBERNETES_SERVICE_HOST, no --kubeconfig): running standalone");
        }
        String problem = preconditions();
        if (problem != null) {
            err.println("netwatcher: cannot start: " + problem);
            return EXIT_START;
        }
        MonotonicClock clock = new MonotonicClock();
        CgroupPaths cgroups = config.probes().cgroupRoot().or(Cgroup2Mount::find).map(CgroupPaths::new).orElse(null);
        DropReasons reasons;
        try {
            reasons = DropReasons.fromBtf(Btf.vmlinux());
        } catch (Exception e) {
            err.println("netwatcher: cannot start: reading kernel BTF: " + e.getMessage());
            return EXIT_START;
        }
        Export export;
        try {
            export = new Export(config.export());
        } catch (IOException e) {
            err.println("netwatcher: cannot start: " + e.getMessage());
            return EXIT_START;
        }
        KubeContext kubeContext = null;
        String node = config.node(env, hostname());
        if (kube) {
            try {
                kubeContext = KubeContext.start(KubeContext.config(config.kubeconfig().orElse(null)), node, cgroups,
                        config.podSelection());
                export.kubernetes(kubeContext);
            } catch (Exception e) {
                export.close();
                err.println("netwatcher: cannot start: kubernetes client: " + firstLine(e.getMessage()));
                return EXIT_START;
            }
        }
        final KubeContext kubeRef = kubeContext;
        NamespaceScope scope = config.namespaces();
        LongUnaryOperator netnsCgroups = cgroups == null ? netns -> 0
                : new NetnsCgroups(Path.of("/proc"), cgroups.root(), System::nanoTime);
        IdentityResolver identity = new IdentityResolver(IdentityResolver.paths(cgroups), kubeContext == null ? null : kubeContext.attribution(),
                kubeContext == null ? null : node, scope, netnsCgroups);
        if (!scope.isAll()) {
            log.info("reporting pods of namespaces {}{}", scope.include().isEmpty() ? "(all)" : scope.include(),
                    scope.exclude().isEmpty() ? "" : " except " + scope.exclude());
        }
        KernelNames names = new KernelNames(reasons);
        WatchedOutputStream watched = new WatchedOutputStream(new FileOutputStream(FileDescriptor.out));
        PrintStream stdout = new PrintStream(new BufferedOutputStream(watched, 1 << 16), false,
                StandardCharsets.UTF_8);
        PrintStream sink = out == System.out ? stdout : out;
        if (sink == stdout) {
            export.output(watched::blockedNs);
        }
        Agent agent = new Agent(config.probes(), config.cost(), config.intervalNs(), clock);
        agent.setIdentity(identity);
        agent.setAnomalies(config.anomalies());
        agent.setCallCounting(config.calls());
        EventPrinter.Builder printing = EventPrinter.builder(sink).types(config.events()).all(config.all())
                .pid(config.pid()).maxPackets(config.count(), agent::stop);
        EventPrinter printer = (config.format() == EventPrinter.Format.JSON
                ? printing.json(new JsonEventFormatter(clock, names)) : printing.table(new TableFormatter(clock, names)))
                .build();
        agent.addListener(printer);
        Thread hook = new Thread(() -> {
            // SIGTERM/SIGINT: stop, let main detach and flush (bounded), then exit with its status
            // (a clean stop on a signal exits 0, not 128+signal).
            shuttingDown = true;
            agent.stop();
            boolean done = false;
            try {
                done = FINISHED.await(SHUTDOWN_BUDGET_MS + 2000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (exitOnSignal) {
                if (!done) {
                    LoggerFactory.getLogger(Main.class).warn("shutdown did not finish in time; exiting");
                }
                Runtime.getRuntime().halt(done ? status : EXIT_START);
            }
        }, "nw-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int statsFd = -1;
        int result;
        try {
            if (config.bpfStats()) {
                statsFd = BpfObject.enableStats();
            }
            agent.start();
            export.start(agent, reasons, version(), resource(kube ? node : null));
            if (config.cost().nice() > 0) {
                Priority.lowerTo(config.cost().nice()); // the exporters' threads, started just now
            }
            log.info("netwatcher running{}", config.durationNs() > 0
                    ? " for " + config.durationNs() / 1e9 + " s" : "");
            agent.awaitStop(config.durationNs() / 1_000_000);
            result = 0;
        } catch (Exception e) {
            String why = firstLine(e.getMessage() == null ? e.toString() : e.getMessage());
            err.println("netwatcher: cannot start: " + why
                    + Capabilities.advice(e, Capabilities.effective(Path.of("/proc/self/status"))));
            log.debug("start failure", e);
            result = EXIT_START;
        }
        stop(result == 0, config, agent, export, kubeRef, sink, statsFd, err);
        if (!shuttingDown) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutdown began meanwhile
            }
        }
        return result;
    }

    /**
     * Stops everything, each step bounded (docs/operations.md#stopping): the last map read, the
     * final export (before the probes go: it reads the maps), detaching the probes, the Kubernetes
     * client, the event output.
     */
    private static void stop(boolean started, AgentConfig config, Agent agent, Export export, KubeContext kube,
                             PrintStream sink, int statsFd, PrintStream err) {
        Logger log = LoggerFactory.getLogger(Main.class);
        Shutdown s = new Shutdown(SHUTDOWN_BUDGET_MS);
        if (started) {
            s.step("last map read", 2000, () -> {
                agent.finalPoll();
                log.info("netwatcher stopping: {}", agent.stats().summary());
                if (config.bpfStats()) {
                    printRunStats(agent.probes().runStats(), err);
                }
            });
        }
        if (statsFd >= 0) {
            BpfObject.closeFd(statsFd);
        }
        s.step("final export", 6000, () -> export.close(5000));
        export.releaseKernel(); // an export that did not finish must not read the maps of closed probes
        boolean detached = s.step("probe detach", 5000, agent::close) && agent.detached();
        if (kube != null) {
            s.step("kubernetes client", 2000, kube::close);
        }
        s.step("event output flush", 1000, sink::flush);
        Logging.flushHeldBack(); // counts of repeated warnings not written yet
        log.info("netwatcher stopped: {}{}", detached ? "probes detached" : "probes detach as the process exits",
                s.skipped() == 0 ? "" : " (" + s.skipped() + " shutdown steps skipped)");
    }

    /** Average run time per invocation of each BPF program, as bpf_stats counted it. */
    static void printRunStats(Map<String, ProbeSet.RunStats> stats, PrintStream err) {
        err.printf("%-28s %14s %16s %10s%n", "BPF PROGRAM", "RUNS", "RUN TIME (ns)", "AVG (ns)");
        long runs = 0;
        long time = 0;
        for (var e : stats.entrySet()) {
            long n = e.getValue().runCount();
            long t = e.getValue().runTimeNs();
            runs += n;
            time += t;
            err.printf("%-28s %14d %16d %10s%n", e.getKey(), n, t, n == 0 ? "-" : String.format("%.1f", (double) t / n));
        }
        err.printf("%-28s %14d %16d %10s%n", "(all)", runs, time, runs == 0 ? "-" : String.format("%.1f", (double) time / runs));
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The agent's resource attributes: version, host, and the node in Kubernetes mode. */
    static Resource resource(String node) {
        AttributesBuilder b = Attributes.builder().put("service.version", version())
                .put("host.name", hostname()).put("os.type", "linux")
                .put("host.arch", switch (System.getProperty("os.arch")) {
                    case "amd64", "x86_64" -> "amd64";
                    case "aarch64" -> "arm64";
                    default -> System.getProperty("os.arch");
                });
        if (node != null) {
            b.put("k8s.node.name", node);
        }
        return Resource.create(b.build());
    }

    static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** Why the agent cannot run on this host, or null. */
    static String preconditions() {
        if (!Files.isReadable(Btf.VMLINUX)) {
            return "kernel BTF " + Btf.VMLINUX + " is missing (CONFIG_DEBUG_INFO_BTF=y is required)";
        }
        if (!BpfObject.isAvailable()) {
            return "libbpf.so.1 not found (install libbpf1): " + BpfObject.unavailabilityCause().getMessage();
        }
        if (!Files.isDirectory(Path.of("/sys/fs/bpf")) && !Files.isDirectory(Path.of("/sys/kernel/btf"))) {
            return "sysfs is not mounted";
        }
        return null;
    }
}
