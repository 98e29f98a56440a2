package io.netwatcher.config;

import io.netwatcher.anomaly.AnomalyConfig;
import io.netwatcher.calls.CallsConfig;
import io.netwatcher.cost.CostConfig;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.kube.NodePods;
import io.netwatcher.output.EventPrinter;
import io.netwatcher.probe.ProbeConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's validated configuration, built with {@link #builder()} (config.AgentOptions does,
 * from the command line).
 *
 * @param standalone run without Kubernetes, labelling by process and cgroup
 * @param probes     what the probes are loaded with
 * @param cost       the probes' CPU budget and the agent's thread priority
 * @param intervalNs period of connection updates, flows and latency summaries
 * @param count      stop after this many packet events (0 = never)
 * @param durationNs stop after this long (0 = never)
 * @param format     json or table
 * @param all        also print closed connections
 * @param events     event types to print
 * @param pid        print only this process's events (0 = all)
 * @param bpfStats   count BPF program run time and print it at exit
 * @param kubeconfig Kubernetes mode with this kubeconfig
 * @param nodeName   this node's name (else $NODE_NAME, else the host name)
 * @param export     metrics endpoint and OTLP export
 * @param podSelection how this node's pods are watched
 * @param namespaces which pods are reported, by namespace
 * @param anomalies  how latency anomalies are detected
 * @param calls      which kernel functions' calls are counted (--count-calls)
 */
public record AgentConfig(boolean standalone, ProbeConfig probes, CostConfig cost, long intervalNs, long count, long durationNs,
                          EventPrinter.Format format, boolean all, Set<String> events, int pid, boolean bpfStats,
                          Optional<Path> kubeconfig, Optional<String> nodeName, ExportConfig export,
                          NodePods.Selection podSelection, NamespaceScope namespaces, AnomalyConfig anomalies,
                          CallsConfig calls) {
    public AgentConfig {
        Objects.requireNonNull(probes, "probes");
        Objects.requireNonNull(cost, "cost");
        Objects.requireNonNull(format, "format");
        events = Set.copyOf(events);
        if (intervalNs <= 0) {
            throw new IllegalArgumentException("intervalNs must be > 0");
        }
        if (count < 0 || durationNs < 0 || pid < 0) {
            throw new IllegalArgumentException("count, duration and pid must be >= 0");
        }
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(export, "export");
        Objects.requireNonNull(podSelection, "podSelection");
        Objects.requireNonNull(namespaces, "namespaces");
        Objects.requireNonNull(anomalies, "anomalies");
        Objects.requireNonNull(calls, "calls");
        for (String e : events) {
            if (!EventPrinter.TYPES.contains(e)) {
                throw new IllegalArgumentException("unknown event type " + e);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an {@link AgentConfig}; the defaults are the command line's. */
    public static final class Builder {
        private boolean standalone;
        private ProbeConfig probes = ProbeConfig.defaults();
        private CostConfig cost = CostConfig.defaults();
        private long intervalNs = 5_000_000_000L;
        private long count;
        private long durationNs;
        private EventPrinter.Format format = EventPrinter.Format.JSON;
        private boolean all;
        private Set<String> events = EventPrinter.DEFAULT_TYPES;
        private int pid;
        private boolean bpfStats;
        private Path kubeconfig;
        private String nodeName;
        private ExportConfig export = ExportConfig.defaults();
        private NodePods.Selection podSelection = NodePods.Selection.FIELD_SELECTOR;
        private NamespaceScope namespaces = NamespaceScope.ALL;
        private AnomalyConfig anomalies = AnomalyConfig.defaults();
        private CallsConfig calls = CallsConfig.NONE;

        private Builder() {}

        public Builder standalone(boolean standalone) {
            this.standalone = standalone;
            return this;
        }

        public Builder probes(ProbeConfig probes) {
            this.probes = probes;
            return this;
        }

        public Builder cost(CostConfig cost) {
            this.cost = cost;
            return this;
        }

        public Builder intervalNs(long intervalNs) {
            this.intervalNs = intervalNs;
            return this;
        }

        public Builder count(long count) {
            this.count = count;
            return this;
        }

        public Builder durationNs(long durationNs) {
            this.durationNs = durationNs;
            return this;
        }

        public Builder format(EventPrinter.Format format) {
            this.format = format;
            return this;
        }

        public Builder all(boolean all) {
            this.all = all;
            return this;
        }

        public Builder events(Set<String> events) {
            this.events = events;
            return this;
        }

        public Builder pid(int pid) {
            this.pid = pid;
            return this;
        }

        public Builder bpfStats(boolean bpfStats) {
            this.bpfStats = bpfStats;
            return this;
        }

        /** Kubernetes mode with this kubeconfig (null: none). */
        public Builder kubeconfig(Path kubeconfig) {
            this.kubeconfig = kubeconfig;
            return this;
        }

        /** This node's name (null: $NODE_NAME, else the host name). */
        public Builder nodeName(String nodeName) {
            this.nodeName = nodeName;
            return this;
        }

        public Builder export(ExportConfig export) {
            this.export = export;
            return this;
        }

        public Builder podSelection(NodePods.Selection podSelection) {
            this.podSelection = podSelection;
            return this;
        }

        public Builder namespaces(NamespaceScope namespaces) {
            this.namespaces = namespaces;
            return this;
        }

        public Builder anomalies(AnomalyConfig anomalies) {
            this.anomalies = anomalies;
            return this;
        }

        public Builder calls(CallsConfig calls) {
            this.calls = calls;
            return this;
        }

        public AgentConfig build() {
            return new AgentConfig(standalone, probes, cost, intervalNs, count, durationNs, format, all, events, pid,
                    bpfStats, Optional.ofNullable(kubeconfig), Optional.ofNullable(nodeName), export, podSelection,
                    namespaces, anomalies, calls);
        }
    }

    /**
     * Kubernetes mode unless --standalone: when a kubeconfig is given or the agent runs in a pod
     * (KUBERNETES_SERVICE_HOST is set).
     */
    public boolean kubernetes(Map<String, String> env) {
        return kubernetes(standalone, kubeconfig.isPresent(), env);
    }

    static boolean kubernetes(boolean standalone, boolean kubeconfig, Map<String, String> env) {
        return !standalone && (kubeconfig || env.containsKey("KUBERNETES_SERVICE_HOST"));
    }

    /** --node-name, else $NODE_NAME, else the host name. */
    public String node(Map<String, String> env, String hostname) {
        return nodeName.orElse(env.getOrDefault("NODE_NAME", hostname));
    }
}
