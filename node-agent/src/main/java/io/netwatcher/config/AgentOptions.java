package io.netwatcher.config;

import io.netwatcher.anomaly.AnomalyConfig;
import io.netwatcher.calls.CallsConfig;
import io.netwatcher.cost.CostConfig;
import io.netwatcher.event.SocketFilter;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.kube.KubeContext;
import io.netwatcher.kube.NodePods;
import io.netwatcher.output.EventPrinter;
import io.netwatcher.probe.DnsConfig;
import io.netwatcher.probe.HookKind;
import io.netwatcher.probe.ProbeConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Command-line options. {@link #toConfig()} validates them; a bad value names its option. */
@Command(name = "netwatcher", mixinStandardHelpOptions = true, versionProvider = AgentOptions.Version.class,
        sortOptions = false, usageHelpWidth = 100,
        description = "Explains where a pod's network time goes: per-layer packet latency, TCP connection health"
                + " and errors from inside the kernel, as JSON lines on stdout.")
public final class AgentOptions {
    @Spec
    CommandSpec spec;

    @Option(names = "--standalone", description = "Run without Kubernetes: label events by process and cgroup.")
    boolean standalone;

    @Option(names = "--kubeconfig", paramLabel = "PATH",
            description = "Kubernetes mode with this kubeconfig (default in a cluster: the pod's service account).")
    Path kubeconfig;

    @Option(names = "--node-name", paramLabel = "NAME",
            description = "This node's name in Kubernetes mode. Default: $NODE_NAME (Downward API), else the host name.")
    String nodeName;

    @Option(names = {"-s", "--sport"}, paramLabel = "PORTS", split = ",",
            description = "Only sockets with one of these local ports (comma-separated, 1-65535, at most 8).")
    List<Integer> sport;

    @Option(names = {"-d", "--dport"}, paramLabel = "PORTS", split = ",",
            description = "Only sockets with one of these remote ports (comma-separated, 1-65535, at most 8).")
    List<Integer> dport;

    @Option(names = "--uid", paramLabel = "UID",
            description = "Only sockets owned by this user id (the process that connected, listened, or last sent"
                    + " or received on it).")
    Long uid;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "1",
            description = "Report one packet in N (1 = every packet, 0 = no packet events). Default: ${DEFAULT-VALUE}.")
    int sample;

    @Option(names = "--time-every", paramLabel = "N", defaultValue = "1",
            description = "Time the layers of one packet in N, picked in the kernel at the packet's first hook"
                    + " (1 = every packet). With a CPU budget the agent starts here and times fewer packets while"
                    + " the probes cost more than the budget. Default: ${DEFAULT-VALUE}.")
    int timeEvery;

    @Option(names = "--cpu-budget", paramLabel = "PERCENT", defaultValue = "1",
            description = "CPU the probes may use, in percent of one core, measured in the kernel for 1 s every"
                    + " 10 s; above it fewer packets are timed (0 = no budget). Default: ${DEFAULT-VALUE}.")
    double cpuBudgetPercent;

    @Option(names = "--nice", paramLabel = "N", defaultValue = "10",
            description = "Nice value of the agent's threads, 0-19 (0 = unchanged), so the workloads it watches"
                    + " come first on a busy node. Default: ${DEFAULT-VALUE}.")
    int nice;

    @Option(names = "--max-events-per-sec", paramLabel = "N", defaultValue = "1000",
            description = "Cap on packet events per second (0 = no cap). Default: ${DEFAULT-VALUE}.")
    int maxEventsPerSec;

    @Option(names = "--max-errors-per-sec", paramLabel = "N", defaultValue = "1000",
            description = "Cap on retransmit/reset/drop events per second (0 = no cap). Default: ${DEFAULT-VALUE}.")
    int maxErrorsPerSec;

    @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "0",
            description = "Stop after N packet events (0 = never).")
    long count;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop after this many seconds (0 = run until interrupted).")
    double durationSeconds;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "json",
            description = "json (one object per line) or table. Default: ${DEFAULT-VALUE}.")
    String output;

    @Option(names = {"-a", "--all"}, description = "Also report connections when they close.")
    boolean all;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "5",
            description = "Period of connection updates, flow byte counts, latency and netfilter summaries and"
                    + " connect counts."
                    + " Default: ${DEFAULT-VALUE}.")
    double intervalSeconds;

    @Option(names = "--events", paramLabel = "TYPES", split = ",",
            description = "Event types to print (comma-separated): packet, connection, retransmit, reset, drop,"
                    + " bad_checksum, receive_queue_full, buffer_limit, flow, latency, icmp (echo exchanges),"
                    + " dns (queries answered or timed out), anomaly (latency anomalies), connect_count (connect() calls per"
                    + " local address, destination address and port in each interval, as tcpconnect -c), call_count (kernel"
                    + " function calls, with --count-calls), netfilter (time per netfilter hook, with --netfilter-times),"
                    + " benign_drop (drops that are"
                    + " not losses), state (TCP state transitions). Default: all but"
                    + " benign_drop and state.")
    Set<String> events;

    @Option(names = {"-S", "--tcp-states"}, description = "Also report every TCP state transition with the time"
            + " spent in the state left (event type state; the same as adding state to --events). Connect latency"
            + " and failed handshakes are always counted.")
    boolean tcpStates;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", defaultValue = "0",
            description = "Print only events of this process (0 = all).")
    int pid;

    @Option(names = "--no-icmp", description = "Do not load the ICMP programs: no ICMP counters and no icmp events.")
    boolean noIcmp;

    @Option(names = "--no-dns", description = "Do not load the DNS programs: no DNS counters, latency and dns events.")
    boolean noDns;

    @Option(names = "--no-dns-names", description = "Leave query names out of dns events (they may be sensitive):"
            + " the kernel does not copy them either.")
    boolean noDnsNames;

    @Option(names = "--dns-timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "A DNS query with no response after this long is counted as a timeout (between 0.001 and"
                    + " 3600). Default: ${DEFAULT-VALUE}, the resolver's own wait per try.")
    double dnsTimeoutSeconds;

    @Option(names = "--no-udp", description = "Do not count or time UDP datagrams: no UDP counters, no UDP layer"
            + " histograms and no UDP packet events (UDP drops are still counted).")
    boolean noUdp;

    @Option(names = {"-n", "--netfilter-times"}, description = "Time each netfilter hook (prerouting, input,"
            + " forward, output, postrouting; IPv4 and IPv6) in every network namespace: what iptables/nftables"
            + " rules, conntrack and NAT cost per packet, as histograms per pod and netfilter events (Linux 6.4+: BPF"
            + " netfilter links; before, fentry/fexit on nf_hook_slow). Off by default: two more program runs per"
            + " hook a packet passes.")
    boolean netfilterTimes;

    @Option(names = "--http", description = "Capture the first line of HTTP/1 requests and responses in packet events.")
    boolean http;

    @Option(names = "--ring-buffer-mb", paramLabel = "MIB", defaultValue = "8",
            description = "Ring buffer size in MiB, a power of two from 1 to 512. Default: ${DEFAULT-VALUE}.")
    int ringBufferMb;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "32768",
            description = "Connections tracked in detail at once; beyond it they are counted (netwatcher_map_full_total)"
                    + " and still opened and closed, without updates or flows. Default: ${DEFAULT-VALUE}.")
    int maxConnections;

    @Option(names = "--prefer-hook", paramLabel = "KIND",
            description = "Back every boundary with this hook kind where the kernel allows: tracepoint, fentry or kprobe.")
    String preferHook;

    @Option(names = "--count-calls", paramLabel = "FUNCTIONS", split = ",",
            description = "Count calls of these kernel functions (comma-separated, e.g. skb_clone,tcp_sendmsg; at most "
                    + CallsConfig.MAX_FUNCTIONS + ") per process and cgroup every interval, as call_count events and"
                    + " netwatcher.kernel.calls per pod. Needs kprobes or fentry (--prefer-hook fentry: fentry first):"
                    + " where the kernel allows neither the agent logs that call counting is unavailable and why, and"
                    + " runs without it. Default: none.")
    List<String> countCalls;

    @Option(names = "--max-call-counters", paramLabel = "N", defaultValue = "16384",
            description = "Entries of the kernel's call counter map: (cgroup, process, function) counters it holds;"
                    + " calls of new ones beyond it are not counted (netwatcher.map.full). Default: ${DEFAULT-VALUE}.")
    int maxCallCounters;

    @Option(names = "--bpf-stats", description = "Count the run time of every BPF program while running"
            + " (BPF_ENABLE_STATS) and print the average per invocation at exit.")
    boolean bpfStats;

    @Option(names = "--cgroup-root", paramLabel = "PATH",
            description = "cgroup v2 mount to attach cgroup programs to. Default: found in /proc/self/mountinfo.")
    Path cgroupRoot;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9990",
            description = "Port of the HTTP endpoint serving /metrics (Prometheus), /healthz and /readyz"
                    + " (0 = no endpoint). Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--metrics-address", paramLabel = "ADDR",
            description = "Address the HTTP endpoint listens on. Default: 127.0.0.1 standalone, 0.0.0.0 in"
                    + " Kubernetes mode.")
    String metricsAddress;

    @Option(names = "--liveness-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "/healthz fails when the event reader or stdout has been stuck this long."
                    + " Default: ${DEFAULT-VALUE}.")
    double livenessTimeoutSeconds;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Send metrics and traces over OTLP to this collector (http://host:4318 for"
                    + " http/protobuf, http://host:4317 for grpc). Default: $OTEL_EXPORTER_OTLP_ENDPOINT, else no OTLP.")
    String otlpEndpoint;

    @Option(names = "--otlp-protocol", paramLabel = "PROTOCOL",
            description = "grpc or http/protobuf. Default: $OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.")
    String otlpProtocol;

    @Option(names = "--metric-export-interval", paramLabel = "SECONDS",
            description = "Period of OTLP metric exports. Default: $OTEL_METRIC_EXPORT_INTERVAL (ms), else 60.")
    Double metricExportIntervalSeconds;

    @Option(names = "--cluster-name", paramLabel = "NAME",
            description = "k8s.cluster.name resource attribute (also settable in $OTEL_RESOURCE_ATTRIBUTES).")
    String clusterName;

    @Option(names = "--max-series", paramLabel = "N", defaultValue = "2000",
            description = "Series per metric; attribute sets beyond it are folded into one series labelled"
                    + " otel.metric.overflow=true. Default: ${DEFAULT-VALUE}.")
    int maxSeries;

    @Option(names = "--no-anomalies", description = "Do not look for latency anomalies: no anomaly events, no"
            + " netwatcher.latency.anomalies counts.")
    boolean noAnomalies;

    @Option(names = "--anomaly-sensitivity", paramLabel = "K", defaultValue = "4",
            description = "An interval's p99 of a layer is an anomaly above its usual value times 2^(K deviations),"
                    + " deviations of log2(p99) (larger K: fewer anomalies; above 0, at most 100)."
                    + " Default: ${DEFAULT-VALUE}.")
    double anomalySensitivity;

    @Option(names = "--anomaly-warmup", paramLabel = "N", defaultValue = "12",
            description = "Intervals a pod's layer learns from before its anomalies are reported (1-100000)."
                    + " Default: ${DEFAULT-VALUE}.")
    int anomalyWarmup;

    @Option(names = "--anomaly-min-samples", paramLabel = "N", defaultValue = "100",
            description = "Packets an interval needs for its p99 to count for anomalies (fewer: the interval is"
                    + " skipped). Default: ${DEFAULT-VALUE}.")
    long anomalyMinSamples;

    @Option(names = "--anomaly-min-rise", paramLabel = "MICROSECONDS", defaultValue = "100",
            description = "An anomaly's p99 is also at least this much above the usual p99 (0 = no floor)."
                    + " Default: ${DEFAULT-VALUE}.")
    double anomalyMinRiseUs;

    @Option(names = "--namespaces", paramLabel = "NS", split = ",",
            description = "Report only the pods of these namespaces (comma-separated); host traffic is then not"
                    + " reported either. Default: every namespace.")
    List<String> namespaces;

    @Option(names = "--exclude-namespaces", paramLabel = "NS", split = ",",
            description = "Do not report the pods of these namespaces (comma-separated).")
    List<String> excludeNamespaces;

    @Option(names = "--kube-pod-selection", paramLabel = "MODE", hidden = true, defaultValue = "field-selector",
            description = "How this node's pods are watched: field-selector (the API server filters on"
                    + " spec.nodeName) or client-filter (all pods are listed, for API servers without field selectors).")
    String podSelection;

    private ParameterException bad(String option, Object value, String why) {
        return new ParameterException(spec.commandLine(),
                "Invalid value for option '" + option + "': " + why + " (was " + value + ")");
    }

    /** Validates the options against this process's environment. */
    public AgentConfig toConfig() {
        return toConfig(System.getenv());
    }

    /**
     * Validates the options (and NODE_NAME of {@code env} where it is used); throws a
     * {@link ParameterException} naming the first bad option or variable.
     */
    public AgentConfig toConfig(Map<String, String> env) {
        List<Integer> sports = ports("--sport", sport);
        List<Integer> dports = ports("--dport", dport);
        if (uid != null && (uid < 0 || uid > 0xFFFF_FFFEL)) {
            throw bad("--uid", uid, "must be a user id 0-4294967294");
        }
        if (sample < 0) {
            throw bad("--sample", sample, "must be >= 0");
        }
        if (timeEvery < 1 || timeEvery > ProbeConfig.MAX_TIME_EVERY) {
            throw bad("--time-every", timeEvery, "must be between 1 and " + ProbeConfig.MAX_TIME_EVERY);
        }
        if (!(cpuBudgetPercent >= 0) || cpuBudgetPercent > 100) {
            throw bad("--cpu-budget", cpuBudgetPercent, "must be a percentage of one core, 0-100");
        }
        if (nice < 0 || nice > 19) {
            throw bad("--nice", nice, "must be between 0 and 19");
        }
        if (maxEventsPerSec < 0) {
            throw bad("--max-events-per-sec", maxEventsPerSec, "must be >= 0");
        }
        if (maxErrorsPerSec < 0) {
            throw bad("--max-errors-per-sec", maxErrorsPerSec, "must be >= 0");
        }
        if (count < 0) {
            throw bad("--count", count, "must be >= 0");
        }
        if (!(durationSeconds >= 0) || Double.isInfinite(durationSeconds)) {
            throw bad("--duration", durationSeconds, "must be >= 0 seconds");
        }
        if (!(dnsTimeoutSeconds >= 0.001) || dnsTimeoutSeconds > 3600) {
            throw bad("--dns-timeout", dnsTimeoutSeconds, "must be between 0.001 and 3600 seconds");
        }
        if (!(intervalSeconds >= 0.1) || intervalSeconds > 86400) {
            throw bad("--interval", intervalSeconds, "must be between 0.1 and 86400 seconds");
        }
        EventPrinter.Format format = switch (output) {
            case "json" -> EventPrinter.Format.JSON;
            case "table" -> EventPrinter.Format.TABLE;
            default -> throw bad("--output", output, "must be json or table");
        };
        Set<String> types = new LinkedHashSet<>(events == null ? EventPrinter.DEFAULT_TYPES : events);
        for (String t : types) {
            if (!EventPrinter.TYPES.contains(t)) {
                throw bad("--events", t, "unknown event type; known: " + new TreeSet<>(EventPrinter.TYPES));
            }
        }
        if (tcpStates) {
            types.add(EventPrinter.STATE);
        }
        if (pid < 0) {
            throw bad("--pid", pid, "must be >= 0");
        }
        if (ringBufferMb < 1 || ringBufferMb > 512 || Integer.bitCount(ringBufferMb) != 1) {
            throw bad("--ring-buffer-mb", ringBufferMb, "must be a power of two from 1 to 512");
        }
        if (maxConnections < 1 || maxConnections > 4_194_304) {
            throw bad("--max-connections", maxConnections, "must be between 1 and 4194304");
        }
        Optional<HookKind> prefer = Optional.empty();
        if (preferHook != null) {
            prefer = switch (preferHook) {
                case "tracepoint" -> Optional.of(HookKind.TRACEPOINT);
                case "fentry" -> Optional.of(HookKind.FENTRY);
                case "kprobe" -> Optional.of(HookKind.KPROBE);
                default -> throw bad("--prefer-hook", preferHook, "must be tracepoint, fentry or kprobe");
            };
        }
        if (cgroupRoot != null && !Files.isDirectory(cgroupRoot)) {
            throw bad("--cgroup-root", cgroupRoot, "is not a directory");
        }
        if (standalone && kubeconfig != null) {
            throw bad("--kubeconfig", kubeconfig, "cannot be combined with --standalone");
        }
        if (kubeconfig != null && !(Files.isRegularFile(kubeconfig) && Files.isReadable(kubeconfig))) {
            throw bad("--kubeconfig", kubeconfig, "is not a readable file");
        }
        if (kubeconfig != null) {
            String problem = KubeContext.kubeconfigProblem(kubeconfig);
            if (problem != null) {
                throw bad("--kubeconfig", kubeconfig, problem);
            }
        }
        if (nodeName != null && !isNodeName(nodeName)) {
            throw bad("--node-name", nodeName, "is not a valid node name");
        }
        boolean kube = AgentConfig.kubernetes(standalone, kubeconfig != null, env);
        String envNode = env.get("NODE_NAME");
        if (kube && nodeName == null && envNode != null && !isNodeName(envNode)) {
            throw new ParameterException(spec.commandLine(), "Invalid value of environment variable NODE_NAME:"
                    + " is not a valid node name, set it from the Downward API (spec.nodeName) or use --node-name"
                    + " (was '" + envNode + "')");
        }
        ExportConfig export = exportConfig(kube, env);
        NamespaceScope scope = new NamespaceScope(namespaceSet("--namespaces", namespaces),
                namespaceSet("--exclude-namespaces", excludeNamespaces));
        if (standalone && !scope.isAll()) {
            throw bad(namespaces != null ? "--namespaces" : "--exclude-namespaces",
                    String.join(",", namespaces != null ? namespaces : excludeNamespaces),
                    "needs Kubernetes mode (not --standalone)");
        }
        NodePods.Selection selection = switch (podSelection) {
            case "field-selector" -> NodePods.Selection.FIELD_SELECTOR;
            case "client-filter" -> NodePods.Selection.CLIENT_FILTER;
            default -> throw bad("--kube-pod-selection", podSelection, "must be field-selector or client-filter");
        };
        long intervalNs = Math.round(intervalSeconds * 1e9);
        ProbeConfig probes = ProbeConfig.builder().timeEvery(timeEvery).sampleEvery(sample)
                .maxEventsPerSec(maxEventsPerSec).maxErrorsPerSec(maxErrorsPerSec)
                .filter(new SocketFilter(sports, dports, uid == null ? -1 : uid)).http(http).snapshotNs(Math.min(intervalNs / 2, 100_000_000L))
                .ringBufferBytes(ringBufferMb << 20).maxConnections(maxConnections).preferHook(prefer.orElse(null))
                .cgroupRoot(cgroupRoot).benignDropEvents(types.contains("benign_drop"))
                .stateEvents(types.contains(EventPrinter.STATE)).icmp(!noIcmp).udp(!noUdp).netfilterTimes(netfilterTimes)
                .dns(new DnsConfig(!noDns, !noDnsNames, Math.round(dnsTimeoutSeconds * 1e9))).build();
        CostConfig defaults = CostConfig.defaults();
        CostConfig cost = new CostConfig(cpuBudgetPercent / 100, defaults.maxTimeEvery(), defaults.periodMs(),
                defaults.windowMs(), bpfStats, nice);
        AnomalyConfig anomalies = anomalyConfig(export.maxSeries());
        CallsConfig calls = callsConfig();
        return AgentConfig.builder().standalone(standalone).probes(probes).cost(cost).intervalNs(intervalNs)
                .count(count).durationNs(Math.round(durationSeconds * 1e9)).format(format).all(all).events(types)
                .pid(pid).bpfStats(bpfStats).kubeconfig(kubeconfig).nodeName(nodeName).export(export)
                .podSelection(selection).namespaces(scope).anomalies(anomalies).calls(calls).build();
    }

    private CallsConfig callsConfig() {
        if (maxCallCounters < 1 || maxCallCounters > CallsConfig.MAX_MAX_ENTRIES) {
            throw bad("--max-call-counters", maxCallCounters, "must be 1-" + CallsConfig.MAX_MAX_ENTRIES);
        }
        List<String> functions = countCalls == null ? List.of()
                : countCalls.stream().map(String::strip).toList();
        try {
            return new CallsConfig(functions, maxCallCounters);
        } catch (IllegalArgumentException e) {
            throw bad("--count-calls", String.join(",", functions), e.getMessage());
        }
    }

    private AnomalyConfig anomalyConfig(int maxSeries) {
        if (!(anomalySensitivity > 0) || anomalySensitivity > AnomalyConfig.MAX_SENSITIVITY) {
            throw bad("--anomaly-sensitivity", anomalySensitivity, "must be above 0 and at most "
                    + (int) AnomalyConfig.MAX_SENSITIVITY);
        }
        if (anomalyWarmup < 1 || anomalyWarmup > AnomalyConfig.MAX_WARMUP) {
            throw bad("--anomaly-warmup", anomalyWarmup, "must be 1-" + AnomalyConfig.MAX_WARMUP + " intervals");
        }
        if (anomalyMinSamples < 1 || anomalyMinSamples > AnomalyConfig.MAX_MIN_SAMPLES) {
            throw bad("--anomaly-min-samples", anomalyMinSamples, "must be 1-" + AnomalyConfig.MAX_MIN_SAMPLES);
        }
        if (!(anomalyMinRiseUs >= 0) || anomalyMinRiseUs * 1000 > AnomalyConfig.MAX_MIN_RISE_NS) {
            throw bad("--anomaly-min-rise", anomalyMinRiseUs, "must be 0-" + AnomalyConfig.MAX_MIN_RISE_NS / 1000
                    + " microseconds");
        }
        return new AnomalyConfig(!noAnomalies, anomalySensitivity, anomalyWarmup, anomalyMinSamples,
                Math.round(anomalyMinRiseUs * 1000), maxSeries);
    }

    /** A port list: 1-65535 each, at most {@link SocketFilter#MAX_PORTS}, duplicates dropped. */
    private List<Integer> ports(String option, List<Integer> ports) {
        if (ports == null) {
            return List.of();
        }
        for (Integer p : ports) {
            if (p == null || p < 1 || p > 65535) {
                throw bad(option, join(ports), "must be ports 1-65535, comma-separated");
            }
        }
        List<Integer> distinct = ports.stream().distinct().toList();
        if (distinct.size() > SocketFilter.MAX_PORTS) {
            throw bad(option, join(ports), "at most " + SocketFilter.MAX_PORTS + " ports");
        }
        return distinct;
    }

    private static String join(List<Integer> ports) {
        return String.join(",", ports.stream().map(String::valueOf).toList());
    }

    private Set<String> namespaceSet(String option, List<String> names) {
        if (names == null) {
            return Set.of();
        }
        for (String n : names) {
            if (!n.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw bad(option, String.join(",", names), "'" + n + "' is not a namespace name");
            }
        }
        return Set.copyOf(names);
    }

    /** A Kubernetes node name: a DNS subdomain (RFC 1123), as the API server accepts. */
    static boolean isNodeName(String name) {
        return name.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    }

    /** Why {@code url} is not an OTLP endpoint URL, or null. */
    static String urlProblem(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            return "is not a URL";
        }
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
            return "must be an http:// or https:// URL with a host";
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
            return "port must be 1-65535";
        }
        return null;
    }

    private ExportConfig exportConfig(boolean kube, Map<String, String> env) {
        if (metricsPort < 0 || metricsPort > 65535) {
            throw bad("--metrics-port", metricsPort, "must be a port 1-65535, or 0 for no endpoint");
        }
        if (metricsAddress != null && metricsAddress.isBlank()) {
            throw bad("--metrics-address", metricsAddress, "must be an address");
        }
        if (!(livenessTimeoutSeconds >= 1) || livenessTimeoutSeconds > 3600) {
            throw bad("--liveness-timeout", livenessTimeoutSeconds, "must be between 1 and 3600 seconds");
        }
        if (otlpEndpoint != null) {
            String why = urlProblem(otlpEndpoint);
            if (why != null) {
                throw bad("--otlp-endpoint", otlpEndpoint, why);
            }
        } else if (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") != null) {
            String url = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
            String why = urlProblem(url);
            if (why != null) {
                throw new ParameterException(spec.commandLine(), "Invalid value of environment variable"
                        + " OTEL_EXPORTER_OTLP_ENDPOINT: " + why + " (was " + url + ")");
            }
        }
        if (otlpProtocol != null && !otlpProtocol.equals("grpc") && !otlpProtocol.equals("http/protobuf")) {
            throw bad("--otlp-protocol", otlpProtocol, "must be grpc or http/protobuf");
        }
        if (metricExportIntervalSeconds != null
                && (!(metricExportIntervalSeconds >= 0.1) || metricExportIntervalSeconds > 86400)) {
            throw bad("--metric-export-interval", metricExportIntervalSeconds, "must be between 0.1 and 86400 seconds");
        }
        if (clusterName != null && clusterName.isBlank()) {
            throw bad("--cluster-name", clusterName, "must not be empty");
        }
        if (maxSeries < 2 || maxSeries > 1_000_000) {
            throw bad("--max-series", maxSeries, "must be between 2 and 1000000");
        }
        String address = metricsAddress != null ? metricsAddress
                : kube ? ExportConfig.KUBERNETES_ADDRESS : ExportConfig.STANDALONE_ADDRESS;
        return ExportConfig.builder().metrics(address, metricsPort).otlpEndpoint(otlpEndpoint).otlpProtocol(otlpProtocol)
                .metricExportIntervalMs(metricExportIntervalSeconds == null ? null
                        : Math.round(metricExportIntervalSeconds * 1000))
                .clusterName(clusterName).maxSeries(maxSeries)
                .livenessTimeoutMs(Math.round(livenessTimeoutSeconds * 1000)).build();
    }

    /** Version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AgentOptions.class.getPackage().getImplementationVersion();
            return new String[] {"netwatcher " + (v == null ? "dev" : v)};
        }
    }
}
