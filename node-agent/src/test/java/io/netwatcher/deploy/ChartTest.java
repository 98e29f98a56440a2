package io.netwatcher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.netwatcher.config.AgentConfig;
import io.netwatcher.config.AgentOptions;
import io.netwatcher.identity.NamespaceScope;
import io.netwatcher.output.EventPrinter;
import io.netwatcher.probe.DnsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** helm lint and helm template of helm/netwatcher (helm-java), asserted on the rendered objects. */
class ChartTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The capabilities the agent needs, as docs/operations.md lists them (ChartCapabilitiesIT runs with exactly these). */
    static final Set<String> CAPABILITIES = Set.of("BPF", "PERFMON", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "SYSLOG",
            "SYS_RESOURCE");

    private static final List<HasMetadata> DEFAULTS = Chart.render(Map.of());

    private static Container agent(List<HasMetadata> objects) {
        return Chart.daemonSet(objects).getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theChartLintsCleanInStrictMode() {
        LintResult r = new Helm(Chart.dir()).lint().strict().call();
        assertFalse(r.isFailed(), String.join("\n", r.getMessages()));
    }

    @Test
    void defaultsRenderTheAgentObjectsWithStandardLabels() {
        Map<String, Long> kinds = DEFAULTS.stream().collect(Collectors.groupingBy(HasMetadata::getKind,
                TreeMap::new, Collectors.counting()));
        assertEquals(Map.of("ClusterRole", 1L, "ClusterRoleBinding", 1L, "ConfigMap", 3L, "DaemonSet", 1L,
                "Service", 1L, "ServiceAccount", 1L), kinds, "agent options + 2 dashboards as ConfigMaps");
        for (HasMetadata o : DEFAULTS) {
            Map<String, String> l = o.getMetadata().getLabels();
            assertEquals("netwatcher", l.get("app.kubernetes.io/name"), o.getKind());
            assertEquals("netwatcher", l.get("app.kubernetes.io/instance"), o.getKind());
            assertEquals("0.1.0", l.get("app.kubernetes.io/version"), o.getKind());
            assertEquals("Helm", l.get("app.kubernetes.io/managed-by"), o.getKind());
            if (!o.getKind().startsWith("Cluster")) {
                assertEquals(Chart.NAMESPACE, o.getMetadata().getNamespace(), o.getKind());
            }
        }
    }

    @Test
    void rbacIsReadOnlyAndOnlyWhatTheAgentReads() {
        ClusterRole role = Chart.one(DEFAULTS, ClusterRole.class);
        Set<String> grants = new HashSet<>();
        for (PolicyRule r : role.getRules()) {
            assertTrue(r.getResourceNames() == null || r.getResourceNames().isEmpty());
            for (String g : r.getApiGroups()) {
                for (String res : r.getResources()) {
                    for (String v : r.getVerbs()) {
                        grants.add((g.isEmpty() ? "core" : g) + "/" + res + ":" + v);
                    }
                }
            }
        }
        assertEquals(Set.of("core/pods:get", "core/pods:list", "core/pods:watch", "core/services:get",
                "core/services:list", "core/services:watch", "apps/replicasets:get", "batch/jobs:get"), grants);
        ClusterRoleBinding b = Chart.one(DEFAULTS, ClusterRoleBinding.class);
        assertEquals(role.getMetadata().getName(), b.getRoleRef().getName());
        ServiceAccount sa = Chart.one(DEFAULTS, ServiceAccount.class);
        assertEquals(sa.getMetadata().getName(), b.getSubjects().get(0).getName());
        assertEquals(sa.getMetadata().getName(),
                Chart.daemonSet(DEFAULTS).getSpec().getTemplate().getSpec().getServiceAccountName());
    }

    @Test
    void notPrivilegedByDefaultAllCapabilitiesDroppedAndTheDocumentedOnesAdded() throws Exception {
        SecurityContext sc = agent(DEFAULTS).getSecurityContext();
        assertEquals(Boolean.FALSE, sc.getPrivileged());
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation());
        assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertEquals(CAPABILITIES, Set.copyOf(sc.getCapabilities().getAdd()));
        String ops = Files.readString(Chart.root().resolve("docs/operations.md"));
        for (String cap : CAPABILITIES) {
            assertTrue(ops.contains("`CAP_" + cap + "`"), "docs/operations.md explains CAP_" + cap);
        }

        PodSpec pod = Chart.daemonSet(DEFAULTS).getSpec().getTemplate().getSpec();
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType(),
                "the runtime's default seccomp profile");
        assertEquals("Localhost", Chart.daemonSet(Chart.renderValues("""
                security: {seccompProfile: {type: Localhost, localhostProfile: profiles/netwatcher.json}}
                """)).getSpec().getTemplate().getSpec().getSecurityContext().getSeccompProfile().getType());

        SecurityContext privileged = agent(Chart.render(Map.of("security.privileged", true))).getSecurityContext();
        assertEquals(Boolean.TRUE, privileged.getPrivileged());
        assertNull(privileged.getAllowPrivilegeEscalation(), "the API rejects privileged with no escalation");
        assertNull(privileged.getCapabilities());
    }

    @Test
    void theDaemonSetRunsOnEveryNodeWithItsNodeNameMountsAndProbes() {
        DaemonSet ds = Chart.daemonSet(DEFAULTS);
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertTrue(pod.getHostPID(), "pid -> pod and pod network namespaces");
        assertEquals("Exists", pod.getTolerations().get(0).getOperator());
        assertNull(pod.getTolerations().get(0).getKey(), "tolerates every taint");
        Container c = agent(DEFAULTS);
        var nodeName = c.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst().orElseThrow();
        assertEquals("spec.nodeName", nodeName.getValueFrom().getFieldRef().getFieldPath());
        assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/healthz", c.getStartupProbe().getHttpGet().getPath());
        assertEquals("metrics", c.getReadinessProbe().getHttpGet().getPort().getStrVal());
        assertEquals(9990, c.getPorts().get(0).getContainerPort());
        assertEquals("metrics", c.getPorts().get(0).getName());

        Map<String, String> hostPaths = new TreeMap<>();
        pod.getVolumes().stream().filter(v -> v.getHostPath() != null)
                .forEach(v -> hostPaths.put(v.getName(), v.getHostPath().getPath()));
        assertEquals(Map.of("cgroup", "/sys/fs/cgroup", "btf", "/sys/kernel/btf", "netns", "/run/netns"), hostPaths);
        c.getVolumeMounts().stream().filter(m -> hostPaths.containsKey(m.getName()))
                .forEach(m -> assertTrue(m.getReadOnly(), m.getName() + " is mounted read-only"));
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
                "a writable /tmp on a read-only root");
        assertEquals(List.of("--cgroup-root=/host/cgroup", "@/etc/netwatcher/agent.args"), c.getArgs());

        Service svc = Chart.one(DEFAULTS, Service.class);
        assertEquals("None", svc.getSpec().getClusterIP());
        assertTrue(svc.getSpec().getPublishNotReadyAddresses(), "unready agents are still scraped");
        assertEquals(ds.getSpec().getSelector().getMatchLabels(), svc.getSpec().getSelector());
        assertEquals("true", ds.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/scrape"));
    }

    @Test
    void aChangedOptionChangesTheConfigChecksumSoTheAgentsRestart() {
        String before = Chart.daemonSet(DEFAULTS).getSpec().getTemplate().getMetadata().getAnnotations()
                .get("checksum/config");
        assertTrue(before.matches("[0-9a-f]{64}"), before);
        String after = Chart.daemonSet(Chart.render(Map.of("agent.sample", 10))).getSpec().getTemplate().getMetadata()
                .getAnnotations().get("checksum/config");
        assertNotEquals(before, after);
        assertEquals(before, Chart.daemonSet(Chart.render(Map.of("dashboards.enabled", false))).getSpec()
                .getTemplate().getMetadata().getAnnotations().get("checksum/config"), "dashboards are not options");
    }

    private static AgentConfig parseArgs(List<HasMetadata> objects, Path dir) throws Exception {
        Path args = dir.resolve("agent.args");
        Files.writeString(args, Chart.agentArgs(objects));
        AgentOptions o = new AgentOptions();
        List<String> argv = new ArrayList<>(agent(objects).getArgs());
        argv.replaceAll(a -> a.equals("--cgroup-root=/host/cgroup") ? "--cgroup-root=" + dir
                : a.equals("@/etc/netwatcher/agent.args") ? "@" + args : a);
        new CommandLine(o).parseArgs(argv.toArray(String[]::new));
        return o.toConfig();
    }

    @Test
    void theRenderedOptionsAreValidAgentOptionsWithTheChartDefaults(@TempDir Path dir) throws Exception {
        AgentConfig c = parseArgs(DEFAULTS, dir);
        assertFalse(c.standalone(), "Kubernetes mode");
        assertEquals(30_000_000_000L, c.intervalNs());
        assertEquals(1, c.probes().sampleEvery());
        assertEquals(8 << 20, c.probes().ringBufferBytes());
        assertEquals(9990, c.export().metricsPort());
        assertEquals("0.0.0.0", c.export().metricsAddress(), "the chart asks for the pod address explicitly");
        assertTrue(c.export().otlpEndpoint().isEmpty());
        assertFalse(c.probes().http(), "HTTP first-line capture stays off by default");
        assertFalse(c.probes().netfilterTimes(), "netfilter hook times stay off by default (over the cost budget)");
        assertEquals(DnsConfig.DEFAULTS, c.probes().dns(), "DNS on, with names, 5 s timeout");
        assertEquals(NamespaceScope.ALL, c.namespaces());
        assertEquals(EventPrinter.DEFAULT_TYPES, c.events(), "every type but benign_drop");
    }

    @Test
    void valuesReachTheAgent(@TempDir Path dir) throws Exception {
        List<HasMetadata> objects = Chart.renderValues("""
                otlp: {endpoint: "http://collector.obs:4317", protocol: grpc, metricExportInterval: 15}
                agent:
                  sample: 100
                  sport: 8080
                  dport: 5432
                  includeNamespaces: [shop, web]
                  excludeNamespaces: [kube-system]
                  events: [retransmit, reset, drop]
                  clusterName: prod eu
                  http: true
                  dnsNames: false
                  dnsTimeout: 1.5
                  netfilterTimes: true
                  interval: 2.5
                metrics: {port: 9100}
                """);
        AgentConfig c = parseArgs(objects, dir);
        assertEquals("http://collector.obs:4317", c.export().otlpEndpoint().orElseThrow());
        assertEquals("grpc", c.export().otlpProtocol().orElseThrow());
        assertEquals(15_000L, c.export().metricExportIntervalMs().orElseThrow());
        assertEquals(100, c.probes().sampleEvery());
        assertEquals(List.of(8080), c.probes().filter().localPorts());
        assertEquals(List.of(5432), c.probes().filter().remotePorts());
        assertEquals(new NamespaceScope(Set.of("shop", "web"), Set.of("kube-system")), c.namespaces());
        assertEquals(Set.of("retransmit", "reset", "drop"), c.events());
        assertEquals("prod eu", c.export().clusterName().orElseThrow());
        assertTrue(c.probes().http());
        assertTrue(c.probes().netfilterTimes());
        assertEquals(new DnsConfig(true, false, 1_500_000_000L), c.probes().dns());
        assertEquals(2_500_000_000L, c.intervalNs());
        assertEquals(9100, c.export().metricsPort());
        assertEquals(9100, agent(objects).getPorts().get(0).getContainerPort());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"agent.sample|-1", "agent.ringBufferMb|3", "agent.events|[packet, bogus]",
        "agent.sport|70000", "agent.interval|0", "agent.includeNamespaces|[Bad_NS]", "agent.preferHook|uprobe",
        "agent.frobnicate|1", "otlp.protocol|http/json", "otlp.endpoint|collector:4317", "metrics.port|0",
        "image.pullPolicy|Sometimes", "metrics.serviceMonitor.interval|often", "security.privileged|\"yes\"",
        "agent.sample|\"10\"", "security.seccompProfile|{type: Bogus}", "networkPolicy.from|[]",
        "metrics.address|\"\"", "agent.netfilterTimes|\"yes\""})
    void theSchemaRejectsBadValues(String key, String value) {
        // A values file, so each value keeps its YAML type.
        String[] path = key.split("\\.");
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < path.length; i++) {
            yaml.append("  ".repeat(i)).append(path[i]).append(i == path.length - 1 ? ": " + value : ":").append('\n');
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Chart.renderValues(yaml.toString()),
                yaml.toString());
        assertTrue(e.getMessage().contains("don't meet the specifications of the schema"), e.getMessage());
        assertTrue(e.getMessage().contains("/" + path[path.length - 1]) || e.getMessage().contains(path[path.length - 1]),
                "names the value: " + e.getMessage());
    }

    @Test
    void theSchemaKnowsEveryEventTypeOfTheAgent() throws Exception {
        JsonNode schema = JSON.readTree(Chart.dir().resolve("values.schema.json").toFile());
        Set<String> types = new HashSet<>();
        schema.at("/properties/agent/properties/events/items/enum").forEach(n -> types.add(n.asText()));
        assertEquals(EventPrinter.TYPES, types);
    }

    @Test
    void dashboardsShipAsConfigMapsForTheGrafanaSidecar() throws Exception {
        List<ConfigMap> maps = Chart.all(DEFAULTS, ConfigMap.class).stream()
                .filter(c -> "1".equals(c.getMetadata().getLabels().get("grafana_dashboard"))).toList();
        try (var files = Files.list(Chart.dir().resolve("dashboards"))) {
            List<Path> json = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            assertEquals(json.size(), maps.size());
            for (Path p : json) {
                String name = p.getFileName().toString();
                ConfigMap m = maps.stream().filter(c -> c.getData().containsKey(name)).findFirst().orElseThrow();
                assertEquals(JSON.readTree(p.toFile()), JSON.readTree(m.getData().get(name)), name);
            }
        }
        assertTrue(Chart.all(Chart.render(Map.of("dashboards.enabled", false)), ConfigMap.class).stream()
                .noneMatch(c -> c.getMetadata().getLabels().containsKey("grafana_dashboard")));
    }

    @Test
    void theNetworkPolicyIsOptionalAndAdmitsOnlyTheScrapersToTheMetricsPort() {
        assertTrue(Chart.all(DEFAULTS, NetworkPolicy.class).isEmpty(), "off by default");
        NetworkPolicy np = Chart.one(Chart.render(Map.of("networkPolicy.enabled", true)), NetworkPolicy.class);
        assertEquals(Chart.daemonSet(DEFAULTS).getSpec().getSelector().getMatchLabels(),
                np.getSpec().getPodSelector().getMatchLabels(), "the agent pods");
        assertEquals(List.of("Ingress"), np.getSpec().getPolicyTypes(), "egress stays open (API server, collector)");
        assertEquals(1, np.getSpec().getIngress().size());
        NetworkPolicyIngressRule rule = np.getSpec().getIngress().get(0);
        assertEquals(1, rule.getPorts().size());
        assertEquals("metrics", rule.getPorts().get(0).getPort().getStrVal());
        assertEquals("monitoring", rule.getFrom().get(0).getNamespaceSelector().getMatchLabels()
                .get("kubernetes.io/metadata.name"));
        assertEquals("prometheus", rule.getFrom().get(0).getPodSelector().getMatchLabels().get("app.kubernetes.io/name"));
        NetworkPolicy custom = Chart.one(Chart.renderValues("""
                networkPolicy:
                  enabled: true
                  from: [{namespaceSelector: {matchLabels: {team: observability}}}]
                """), NetworkPolicy.class);
        assertEquals("observability", custom.getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector()
                .getMatchLabels().get("team"));
        assertNull(custom.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector());
    }

    @Test
    void monitorsAreOptional() {
        assertTrue(Chart.generic(DEFAULTS, "ServiceMonitor").isEmpty());
        var objects = Chart.render(Map.of("metrics.serviceMonitor.enabled", true, "metrics.podMonitor.enabled", true,
                "metrics.serviceMonitor.labels.release", "prom"));
        var sm = Chart.generic(objects, "ServiceMonitor");
        assertEquals(1, sm.size());
        assertEquals("prom", sm.get(0).getMetadata().getLabels().get("release"));
        assertEquals(1, Chart.generic(objects, "PodMonitor").size());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Chart.template(
                Map.of("metrics.serviceMonitor.enabled", true, "metrics.service.enabled", false)));
        assertTrue(e.getMessage().contains("needs metrics.service.enabled"), e.getMessage());
    }
}
