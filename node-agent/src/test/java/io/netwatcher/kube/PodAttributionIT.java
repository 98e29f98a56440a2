package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netwatcher.btf.Btf;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.PacketEvent;
import io.netwatcher.event.Tuple;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelNames;
import io.netwatcher.output.JsonEventFormatter;
import io.netwatcher.testing.AgentHarness;
import io.netwatcher.testing.Cgroups;
import io.netwatcher.testing.Kernel;
import io.netwatcher.testing.KubeNode;
import io.netwatcher.testing.Sh;
import io.netwatcher.testing.TestNet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pods the way a node runs them: an API server (fabric8's mock, CRUD mode) knows the pods;
 * kubelet-shaped cgroup v2 directories (systemd and cgroupfs drivers) hold real processes, each
 * in its own network namespace; real TCP traffic flows; the agent's events and per-pod histograms
 * must carry the right namespace, pod, container, workload and peer.
 */
class PodAttributionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NODE = "node-a";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @BeforeAll
    static void preconditions() {
        Kernel.requireRootKernel();
        Kernel.require(Sh.which("iperf3"), "iperf3 on PATH");
    }

    @Test
    void eventsAndHistogramsCarryThePodAndItsPeer() throws Exception {
        try (TestNet net = TestNet.create(); KubeNode k8s = KubeNode.start(NODE)) {
            KubernetesClient admin = k8s.admin();
            // kubelet's layouts: systemd driver + containerd for one pod, cgroupfs for the other.
            KubeNode.PodOnNode serverPod = k8s.deploymentPod("shop", "checkout", "checkout-7c9d5f8b6-abcde",
                    net.a().ipv4(), "server", KubeNode.Layout.SYSTEMD_BURSTABLE);
            KubeNode.PodOnNode clientPod = k8s.deploymentPod("web", "frontend", "frontend-7c9d5f8b6-fghij",
                    net.b().ipv4(), "client", KubeNode.Layout.CGROUPFS_BESTEFFORT);
            String serverUid = serverPod.uid();
            String serverCid = serverPod.containerId();
            Path serverCg = serverPod.cgroup();
            Path clientCg = clientPod.cgroup();
            admin.services().resource(KubeFixtures.service("shop", "checkout", "198.18.255.10")).create();
            // A container whose cgroup exists before the API server knows its pod.
            String lateCid = KubeFixtures.randomContainerId();
            Path lateCg = k8s.cgroups().create("kubepods/besteffort/pod" + UUID.randomUUID() + "/" + lateCid);

            KubeContext kube = k8s.kube();
            try (AgentHarness h = AgentHarness.start(AgentHarness.testConfig())) {
                KubeInformersTest.await(kube::synced, WAIT, "the node's pods in the cache");
                IdentityResolver identity = k8s.identity();
                JsonEventFormatter formatter = new JsonEventFormatter(new MonotonicClock(),
                        new KernelNames(DropReasons.fromBtf(Btf.vmlinux())));
                Function<Event, String> fmt = e -> formatter.format(e, identity.resolve(e));

                int port = 24640;
                Process server = Cgroups.startIn(serverCg, net.a().name(), "iperf3", "-s", "-1", "-p", "" + port);
                Thread.sleep(500);
                Process client = Cgroups.startIn(clientCg, net.b().name(), "iperf3", "-c", net.a().ipv4(), "-p",
                        "" + port, "-n", "1M");
                assertTrue(client.waitFor(30, TimeUnit.SECONDS), "iperf3 client finished");
                assertTrue(server.waitFor(30, TimeUnit.SECONDS), "iperf3 server finished");
                assertEquals(0, client.exitValue(), new String(client.getInputStream().readAllBytes()));

                long serverCgId = Cgroups.id(serverCg);
                long clientCgId = Cgroups.id(clientCg);
                ConnEvent serverConn = h.await(ConnEvent.class, c -> c.cgroupId() == serverCgId
                        && c.tuple().sport() == port, WAIT, "a connection of the server pod");
                ConnEvent clientConn = h.await(ConnEvent.class, c -> c.cgroupId() == clientCgId
                        && c.tuple().dport() == port, WAIT, "a connection of the client pod");

                JsonNode s = JSON.readTree(fmt.apply(serverConn));
                assertEquals(NODE, s.get("node").asText());
                assertEquals("shop", s.at("/pod/namespace").asText());
                assertEquals("checkout-7c9d5f8b6-abcde", s.at("/pod/name").asText());
                assertEquals(serverUid, s.at("/pod/uid").asText());
                assertEquals("server", s.at("/pod/container").asText());
                assertEquals("checkout", s.at("/pod/workload").asText());
                assertEquals("Deployment", s.at("/pod/workload_kind").asText());
                assertEquals("web", s.at("/peer/namespace").asText(), "the server's peer is the client pod: " + s);
                assertEquals("frontend-7c9d5f8b6-fghij", s.at("/peer/name").asText());
                assertEquals("frontend", s.at("/peer/workload").asText());

                JsonNode c = JSON.readTree(fmt.apply(clientConn));
                assertEquals("web", c.at("/pod/namespace").asText());
                assertEquals("client", c.at("/pod/container").asText());
                assertEquals("frontend", c.at("/pod/workload").asText());
                assertEquals("checkout-7c9d5f8b6-abcde", c.at("/peer/name").asText());

                PacketEvent rx = h.await(PacketEvent.class, p -> p.cgroupId() == serverCgId, WAIT,
                        "a packet of the server pod");
                assertEquals("checkout-7c9d5f8b6-abcde", JSON.readTree(fmt.apply(rx)).at("/pod/name").asText());

                // The in-kernel histograms, read out per pod.
                h.agent().pollNow();
                LatencyEvent hist = h.await(LatencyEvent.class, l -> l.cgroupId() == serverCgId, WAIT,
                        "a latency histogram of the server pod");
                JsonNode hj = JSON.readTree(fmt.apply(hist));
                assertEquals("checkout", hj.at("/pod/workload").asText());
                assertTrue(hj.get("count").asLong() > 0);

                // A Service address is named as the service.
                JsonNode svc = JSON.readTree(fmt.apply(new ConnEvent(ConnEvent.Kind.UPDATE, 0, 1,
                        new Tuple(2, 0, clientConn.tuple().srcLo(), 40000, 0,
                                IpKey.parse("198.18.255.10").lo(), 8080), 1, clientConn.stats())));
                assertEquals("checkout", svc.at("/peer/service").asText());

                // A container seen before its pod object: unlabelled now, labelled once the pod is known.
                Process late = Cgroups.startIn(lateCg, net.b().name(), "iperf3", "-c", net.a().ipv4(), "-p",
                        "" + (port + 1), "-n", "1K", "--connect-timeout", "500");
                late.waitFor(10, TimeUnit.SECONDS);
                long lateCgId = Cgroups.id(lateCg);
                ConnEvent lateConn = h.await(ConnEvent.class, e -> e.cgroupId() == lateCgId, WAIT,
                        "an (unanswered) connection attempt of the late container");
                JsonNode before = JSON.readTree(fmt.apply(lateConn));
                assertTrue(before.get("pod").isNull(), "no pod yet: " + before);
                assertTrue(before.get("cgroup").asText().contains(lateCid), "labelled by cgroup meanwhile");
                admin.pods().resource(KubeFixtures.deploymentPod("batch", "reporter", "reporter-7c9d5f8b6-zzzzz",
                        "x", NODE, "198.18.250.1", "worker", lateCid)).create();
                KubeInformersTest.await(() -> kube.nodePods().byContainerId(lateCid).isPresent(), WAIT, "the late pod");
                assertEquals("reporter-7c9d5f8b6-zzzzz", JSON.readTree(fmt.apply(lateConn)).at("/pod/name").asText(),
                        "found now: the failed lookup was not cached");

                // A deleted pod's labels disappear.
                admin.pods().inNamespace("shop").withName("checkout-7c9d5f8b6-abcde").delete();
                KubeInformersTest.await(() -> kube.nodePods().byContainerId(serverCid).isEmpty(), WAIT,
                        "the deleted pod out of the cache");
                assertTrue(JSON.readTree(fmt.apply(serverConn)).get("pod").isNull(), "no stale labels");

                List<Event> all = h.events();
                assertTrue(all.size() > 10);
            }
        }
    }
}
