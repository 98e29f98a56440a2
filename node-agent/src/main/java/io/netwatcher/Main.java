package io.netwatcher;

import io.netwatcher.agent.Agent;
import io.netwatcher.agent.MonotonicClock;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.btf.Btf;
import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.cgroup.Cgroup2Mount;
import io.netwatcher.config.AgentConfig;
import io.netwatcher.config.AgentOptions;
import io.netwatcher.config.NamespaceScope;
import io.netwatcher.cost.JvmOptions;
import io.netwatcher.cost.Priority;
import io.netwatcher.event.DropReasons;
import io.netwatcher.export.Export;
import io.netwatcher.export.Identity;
import io.netwatcher.kube.KubeContext;
import io.netwatcher.kube.KubeLabels;
import io.netwatcher.output.EventPrinter;
import io.netwatcher.output.JsonEventFormatter;
import io.netwatcher.output.Labels;
import io.netwatcher.output.StandaloneLabels;
import io.netwatcher.output.TableFormatter;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Entry point: {@code java -jar netwatcher-agent.jar --standalone [options]}. */
public final class Main {
    /** Exit status for bad command-line input. */
    public static final int EXIT_USAGE = 2;
    /** Exit status when the agent cannot start (no BTF, no privileges, no libbpf). */
    public static final int EXIT_START = 1;

    private Main() {}

    /** Set by the shutdown hook (SIGTERM, SIGINT): main must then return instead of System.exit. */
    private static volatile boolean shuttingDown;
    /** Counted down when main has detached the probes and flushed its output. */
    private static final java.util.concurrent.CountDownLatch FINISHED = new java.util.concurrent.CountDownLatch(1);

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        FINISHED.countDown();
        if (!shuttingDown) {
            System.exit(status);
        }
    }

    /** Runs the agent until it stops; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
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
            config = options.toConfig();
        } catch (CommandLine.ParameterException e) {
            err.println("netwatcher: " + e.getMessage().lines().findFirst().orElse("invalid arguments")
                    + " (see --help)");
            return EXIT_USAGE;
        }
        return start(config, out, err);
    }

    private static int start(AgentConfig config, PrintStream out, PrintStream err) {
        Logger log = LoggerFactory.getLogger(Main.class);
        JvmOptions.warning().ifPresent(log::warn);
        boolean kube = config.kubernetes(System.getenv());
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
        Labels labels;
        DropReasons reasons;
        try {
            reasons = DropReasons.fromBtf(Btf.vmlinux());
            labels = new StandaloneLabels(cgroups, reasons);
        } catch (Exception e) {
            err.println("netwatcher: cannot start: reading kernel BTF: " + e.getMessage());
            return EXIT_START;
        }
        Export export;
        try {
            export = new Export(config.export());
        } catch (java.io.IOException e) {
            err.println("netwatcher: cannot start: " + e.getMessage());
            return EXIT_START;
        }
        KubeContext kubeContext = null;
        String node = config.node(System.getenv(), hostname());
        if (kube) {
            try {
                kubeContext = KubeContext.start(KubeContext.config(config.kubeconfig().orElse(null)), node, cgroups,
                        config.podSelection());
                labels = new KubeLabels(labels, kubeContext.attribution(), node);
                export.kubernetes(kubeContext);
            } catch (Exception e) {
                export.close();
                err.println("netwatcher: cannot start: kubernetes client: " + e.getMessage());
                return EXIT_START;
            }
        }
        final KubeContext kubeRef = kubeContext;
        Identity identity = new Identity(kubeContext == null ? null : kubeContext.attribution(), labels,
                config.namespaces());
        PrintStream stdout = new PrintStream(new java.io.BufferedOutputStream(
                new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16), false,
                StandardCharsets.UTF_8);
        PrintStream sink = out == System.out ? stdout : out;
        Agent agent = new Agent(config.probes(), config.cost(), config.intervalNs(), clock);
        if (!config.namespaces().isAll() && labels instanceof KubeLabels k) {
            NamespaceScope scope = config.namespaces();
            agent.setFilter(k.inScope(scope));
            log.info("reporting pods of namespaces {}{}", scope.include().isEmpty() ? "(all)" : scope.include(),
                    scope.exclude().isEmpty() ? "" : " except " + scope.exclude());
        }
        EventPrinter printer = new EventPrinter(config.format(), new JsonEventFormatter(clock, labels),
                new TableFormatter(clock, labels), sink, config.events(), config.all(), config.pid(), config.count(),
                agent::stop);
        agent.addListener(printer);
        Thread hook = new Thread(() -> {
            // SIGTERM/SIGINT: stop, and let main detach and flush before the JVM exits.
            shuttingDown = true;
            agent.stop();
            try {
                FINISHED.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "nw-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int statsFd = -1;
        try {
            if (config.bpfStats()) {
                statsFd = BpfObject.enableStats();
            }
            agent.start();
            export.start(agent, identity, reasons, clock, version(), resource(kube ? node : null));
            if (config.cost().nice() > 0) {
                Priority.lowerTo(config.cost().nice()); // the exporters' threads, started just now
            }
            log.info("netwatcher running{}", config.durationNs() > 0
                    ? " for " + config.durationNs() / 1e9 + " s" : "");
            agent.awaitStop(config.durationNs() / 1_000_000);
            agent.pollNow();
            log.info("netwatcher stopping: {}", agent.stats().summary());
            if (config.bpfStats()) {
                printRunStats(agent.probes().runStats(), err);
            }
            return 0;
        } catch (Exception e) {
            err.println("netwatcher: cannot start: " + e.getMessage().lines().findFirst().orElse(e.toString()));
            log.debug("start failure", e);
            return EXIT_START;
        } finally {
            if (statsFd >= 0) {
                BpfObject.closeFd(statsFd);
            }
            export.close(); // the final export reads the maps: before the probes go
            agent.close();
            if (kubeRef != null) {
                kubeRef.close();
            }
            sink.flush();
            log.info("netwatcher stopped: probes detached");
            if (!shuttingDown) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // shutdown began meanwhile
                }
            }
        }
    }

    /** Average run time per invocation of each BPF program, as bpf_stats counted it. */
    static void printRunStats(java.util.Map<String, io.netwatcher.probe.ProbeSet.RunStats> stats, PrintStream err) {
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
        } catch (java.io.IOException e) {
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
