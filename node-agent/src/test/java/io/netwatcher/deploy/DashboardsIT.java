package io.netwatcher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.btf.Btf;
import io.netwatcher.config.ExportConfig;
import io.netwatcher.export.Attr;
import io.netwatcher.export.Export;
import io.netwatcher.names.DropReasons;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.KubeNode;
import io.netwatcher.testing.OtlpReceiver;
import io.netwatcher.testing.Ports;
import io.netwatcher.testing.Prometheus;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every query of every Grafana dashboard panel (and every dashboard variable) runs against a real
 * Prometheus (Debian's prometheus 2.42) scraping a running agent while two test pods in their own
 * cgroups and network namespaces talk, lose packets to an nftables rule and get refused; each
 * query must parse and return data for the test pods.
 */
class DashboardsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NODE = "node-d";
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.*),\\s*([a-zA-Z0-9_]+)\\)");

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("prometheus"), "prometheus on PATH (Debian package prometheus)");
    }

    /** A dashboard query with Grafana's variables replaced: the test pods, a 1 m rate window. */
    static String expand(String expr) {
        return expr.replace("$namespace", "shop|web").replace("$pod", "checkout-.*|frontend-.*")
                .replace("$__rate_interval", "1m");
    }

    /** Grafana's label_values(selector, label) as PromQL: the label's values among the selected series. */
    static String variableQuery(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        assertTrue(m.matches(), "a label_values() variable: " + query);
        return "count by (" + m.group(2) + ") (" + expand(m.group(1)) + ")";
    }

    record Query(String dashboard, String panel, String expr) {
    }

    static List<Query> queries(Path dir, List<Query> variables) throws Exception {
        List<Query> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode d = JSON.readTree(p.toFile());
                String name = d.path("uid").asText();
                for (JsonNode v : d.at("/templating/list")) {
                    if (v.path("type").asText().equals("query")) {
                        variables.add(new Query(name, "$" + v.path("name").asText(),
                                variableQuery(v.at("/query/query").asText())));
                    }
                }
                for (JsonNode panel : d.path("panels")) {
                    if (panel.path("type").asText().equals("row")) {
                        continue;
                    }
                    assertTrue(panel.path("targets").size() > 0, name + ": " + panel.path("title").asText());
                    for (JsonNode t : panel.path("targets")) {
                        out.add(new Query(name, panel.path("title").asText(), expand(t.path("expr").asText())));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyPanelQueryReturnsDataForTheTestPods() throws Exception {
        List<Query> variables = new ArrayList<>();
        List<Query> panels = queries(Chart.dir().resolve("dashboards"), variables);
        assertTrue(panels.size() >= 20, "panels: " + panels.size());

        int port = 24730;
        int statsFd = -1;
        try (TestNet net = TestNet.create(); KubeNode k8s = KubeNode.start(NODE); OtlpReceiver otlp = OtlpReceiver.http()) {
            Path serverCg = k8s.deploymentPod("shop", "checkout", "checkout-7c9d8b6f5-dash1", net.a().ipv4(), "server",
                    KubeNode.Layout.CGROUPFS_BURSTABLE).cgroup();
            Path clientCg = k8s.deploymentPod("web", "frontend", "frontend-7c9d8b6f5-dash2", net.b().ipv4(), "client",
                    KubeNode.Layout.CGROUPFS_BESTEFFORT).cgroup();
            DropReasons reasons = DropReasons.fromBtf(Btf.vmlinux());
            int metricsPort = Ports.free();
            statsFd = BpfObject.enableStats(); // the agent-health dashboard's probe run time (agent.bpfStats)
            try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig());
                 Export export = new Export(ExportConfig.builder().metrics("127.0.0.1", metricsPort)
                         .otlpEndpoint(otlp.endpoint()).otlpProtocol("http/protobuf").metricExportIntervalMs(1000L)
                         .clusterName("it").build());
                 Prometheus prom = new Prometheus(metricsPort)) {
                export.kubernetes(k8s.kube());
                h.agent().setIdentity(k8s.identity());
                export.start(h.agent(), reasons, "it", Resource.create(Attributes.of(Attr.K8S_NODE, NODE)));
                prom.awaitTargetUp();

                // Deterministic loss: at the server's way in (retransmits by the client), and at the client's way out
                // (NETFILTER_DROP drops of the client pod's own socket).
                net.a().nftTable();
                net.a().nftRule("input", "tcp dport " + port + " numgen inc mod 25 == 7 drop"); // every 25th segment
                net.b().nftTable();
                net.b().nftRule("output", "tcp dport " + port + " numgen inc mod 30 == 11 drop"); // every 30th
                // A connection that stays open while the queries run (open connections).
                Process idleServer = Cgroups.startIn(serverCg, net.a().name(),
                        TcpPeer.command("serve", net.a().ipv4(), "" + (port + 2)).toArray(String[]::new));
                assertEquals("listening", new BufferedReader(new InputStreamReader(idleServer.getInputStream(),
                        StandardCharsets.UTF_8)).readLine());
                Process idleClient = Cgroups.startIn(clientCg, net.b().name(),
                        TcpPeer.command("send", net.a().ipv4(), "" + (port + 2), "100", "100", "1000")
                                .toArray(String[]::new));
                Process server = Cgroups.startIn(serverCg, net.a().name(),
                        TcpPeer.command("serve", net.a().ipv4(), "" + port).toArray(String[]::new));
                BufferedReader serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("listening", serverOut.readLine());
                Process client = Cgroups.startIn(clientCg, net.b().name(),
                        TcpPeer.command("send", net.a().ipv4(), "" + port, "3000000", "60", "100")
                                .toArray(String[]::new));
                // Refused connections: resets received by the client pod.
                for (int i = 0; i < 3; i++) {
                    Process refused = Cgroups.startIn(clientCg, net.b().name(),
                            TcpPeer.command("send", net.a().ipv4(), "" + (port + 1), "1", "1", "0")
                                    .toArray(String[]::new));
                    assertTrue(refused.waitFor(30, TimeUnit.SECONDS));
                }
                assertTrue(client.waitFor(90, TimeUnit.SECONDS));
                assertEquals(0, client.exitValue(), new String(client.getInputStream().readAllBytes()));
                assertTrue(server.waitFor(30, TimeUnit.SECONDS));
                h.agent().pollNow();
                Thread.sleep(4000); // scrapes (and an OTLP export) after the traffic

                List<String> empty = new ArrayList<>();
                for (Query q : variables) {
                    JsonNode r = prom.query(q.expr());
                    if (r.isEmpty()) {
                        empty.add(q.dashboard() + " variable " + q.panel() + ": " + q.expr());
                    }
                }
                for (Query q : panels) {
                    JsonNode r = prom.query(q.expr()); // asserts status success: the query parses
                    if (r.isEmpty()) {
                        empty.add(q.dashboard() + " / " + q.panel() + ": " + q.expr());
                    }
                }
                idleClient.destroyForcibly().waitFor();
                idleServer.destroyForcibly().waitFor();
                assertTrue(empty.isEmpty(), "queries without data:\n" + String.join("\n", empty));
                String namespaces = prom.query(variables.get(0).expr()).toString();
                assertTrue(namespaces.contains("\"shop\"") && namespaces.contains("\"web\""), namespaces);
            }
        } finally {
            if (statsFd >= 0) {
                BpfObject.closeFd(statsFd);
            }
        }
    }
}
