package io.netwatcher.config;

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
 * The agent's validated configuration.
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
 */
public record AgentConfig(boolean standalone, ProbeConfig probes, CostConfig cost, long intervalNs, long count, long durationNs,
                          EventPrinter.Format format, boolean all, Set<String> events, int pid, boolean bpfStats,
                          Optional<Path> kubeconfig, Optional<String> nodeName, ExportConfig export,
                          NodePods.Selection podSelection, NamespaceScope namespaces) {
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
        for (String e : events) {
            if (!EventPrinter.TYPES.contains(e)) {
                throw new IllegalArgumentException("unknown event type " + e);
            }
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
