package io.netwatcher.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netwatcher.btf.Btf;
import io.netwatcher.config.ExportConfig;
import io.netwatcher.event.Direction;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.names.DropReasons;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.KubeNode;
import io.netwatcher.testing.Ports;
import io.netwatcher.testing.Prometheus;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TcpPeer;
import io.netwatcher.testing.TestNet;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus server (Debian's prometheus 2.42) scrapes the agent's /metrics while two test
 * pods talk over TCP; PromQL returns per-pod histogram quantiles per layer, and per-pod byte
 * totals equal to what the client process sent.
 */
class PrometheusIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NODE = "node-p";
    private static final long BYTES = 2_000_000;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("prometheus"), "prometheus on PATH (Debian package prometheus)");
    }

    @Test
    void prometheusComputesPerPodLayerQuantilesFromTheScrape() throws Exception {
        int port = 24720;
        try (TestNet net = TestNet.create(); KubeNode k8s = KubeNode.start(NODE)) {
            Path serverCg = k8s.deploymentPod("shop", "checkout", "checkout-6f7d8c9b5-prom1", net.a().ipv4(), "server",
                    KubeNode.Layout.SYSTEMD_BURSTABLE).cgroup();
            Path clientCg = k8s.deploymentPod("web", "frontend", "frontend-6f7d8c9b5-prom2", net.b().ipv4(), "client",
                    KubeNode.Layout.CGROUPFS_BESTEFFORT).cgroup();
            DropReasons reasons = DropReasons.fromBtf(Btf.vmlinux());
            int metricsPort = Ports.free();
            try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig());
                 Export export = new Export(ExportConfig.builder().metrics("127.0.0.1", metricsPort)
                         .clusterName("it").build());
                 Prometheus prom = new Prometheus(metricsPort)) {
                export.kubernetes(k8s.kube());
                h.agent().setIdentity(k8s.identity());
                export.start(h.agent(), reasons, "it", Resource.create(Attributes.of(Attr.K8S_NODE, NODE)));
                long deadline = System.currentTimeMillis() + 20_000;
                while (export.health().notReady() != null) {
                    assertTrue(System.currentTimeMillis() < deadline, "ready: " + export.health().notReady());
                    Thread.sleep(100);
                }

                // Prometheus finds its target a few seconds after start: traffic once it scrapes.
                deadline = System.currentTimeMillis() + 30_000;
                while (prom.query("up{job=\"netwatcher\"} == 1").isEmpty()) {
                    assertTrue(System.currentTimeMillis() < deadline, "prometheus scrapes the agent");
                    Thread.sleep(250);
                }

                Process server = Cgroups.startIn(serverCg, net.a().name(),
                        TcpPeer.command("serve", net.a().ipv4(), "" + port).toArray(String[]::new));
                BufferedReader serverOut = new BufferedReader(new InputStreamReader(server.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("listening", serverOut.readLine());
                // 4 s of traffic: several scrapes see the counters grow.
                Process client = Cgroups.startIn(clientCg, net.b().name(),
                        TcpPeer.command("send", net.a().ipv4(), "" + port, "" + BYTES, "40", "100")
                                .toArray(String[]::new));
                assertTrue(client.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, client.exitValue(), new String(client.getInputStream().readAllBytes()));
                assertTrue(server.waitFor(30, TimeUnit.SECONDS));
                h.agent().pollNow();
                Thread.sleep(3000); // scrapes after the last byte

                assertEquals(1.0, prom.byLabel("up{job=\"netwatcher\"}", "job").get("netwatcher"));
                assertEquals(1.0, prom.byLabel("netwatcher_kube_synced", "job").get("netwatcher"));

                // Per-pod, per-layer median and p99 from the scraped buckets.
                String q = "histogram_quantile(%s, sum by (k8s_pod_name, netwatcher_layer, le) "
                        + "(increase(netwatcher_packet_layer_duration_seconds_bucket{k8s_namespace_name=~\"shop|web\"}[1m])))";
                for (String quantile : new String[] {"0.5", "0.99"}) {
                    Map<String, Double> v = new HashMap<>();
                    for (JsonNode s : prom.query(q.formatted(quantile))) {
                        v.put(s.at("/metric/k8s_pod_name").asText() + "/" + s.at("/metric/netwatcher_layer").asText(),
                                Double.parseDouble(s.at("/value/1").asText()));
                    }
                    for (String key : new String[] {"checkout-6f7d8c9b5-prom1/socket", "checkout-6f7d8c9b5-prom1/tcp",
                            "checkout-6f7d8c9b5-prom1/link", "frontend-6f7d8c9b5-prom2/tcp_ip",
                            "frontend-6f7d8c9b5-prom2/driver"}) {
                        Double sec = v.get(key);
                        assertTrue(sec != null && sec > 0 && sec < 1, "p" + quantile + " of " + key + ": " + v);
                    }
                }

                // The scraped count is the kernel's count for the pod (traffic is over: nothing moves).
                long serverCgId = Cgroups.id(serverCg);
                long kernelCount = h.agent().maps().histograms().read().stream()
                        .filter(x -> x.cgroupId() == serverCgId && x.direction() == Direction.RX
                                && x.layerLabel().equals("socket")).mapToLong(LayerHistogram::count).sum();
                Map<String, Double> count = prom.byLabel("netwatcher_packet_layer_duration_seconds_count"
                        + "{netwatcher_layer=\"socket\",network_io_direction=\"receive\"}", "k8s_pod_name");
                assertEquals((double) kernelCount, count.get("checkout-6f7d8c9b5-prom1"), "scraped = kernel: " + count);

                // Bytes: exactly what the client process sent, attributed to both pods and their peers.
                Map<String, Double> tx = prom.byLabel("sum by (k8s_pod_name) (netwatcher_tcp_bytes_total"
                        + "{network_io_direction=\"transmit\",netwatcher_peer_workload=\"checkout\"})", "k8s_pod_name");
                assertEquals((double) BYTES, tx.get("frontend-6f7d8c9b5-prom2"), tx.toString());
                Map<String, Double> rx = prom.byLabel("sum by (k8s_deployment_name) (netwatcher_tcp_bytes_total"
                        + "{network_io_direction=\"receive\",k8s_namespace_name=\"shop\"})", "k8s_deployment_name");
                assertEquals((double) BYTES, rx.get("checkout"), rx.toString());
            }
        }
    }
}
