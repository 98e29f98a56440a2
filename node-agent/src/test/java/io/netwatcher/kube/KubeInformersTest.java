package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.netwatcher.export.Health;
import io.netwatcher.export.SelfMetrics;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The informers against fabric8's mock API server: caches, deletions, an API outage. */
class KubeInformersTest {
    private static final String NODE = "node-a";

    static void await(BooleanSupplier cond, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static Config config(KubernetesMockServer server) {
        try (KubernetesClient c = server.createClient()) {
            return c.getConfiguration();
        }
    }

    @Test
    void cachesFollowTheApiServerAndSurviveAnOutage() throws Exception {
        String cid = KubeFixtures.containerId(7);
        KubernetesMockServer server = KubeFixtures.crudServer(0);
        int port = server.getPort();
        KubeContext k = null;
        try (KubernetesClient admin = server.createClient()) {
            // The API server assigns UIDs, as a real one does: read them back.
            String uid1 = admin.pods().resource(KubeFixtures.deploymentPod("shop", "checkout", "checkout-1", "uid-1",
                    NODE, "10.1.0.5", "app", cid)).create().getMetadata().getUid();
            admin.services().resource(KubeFixtures.service("shop", "checkout", "10.96.0.10")).create();
            String uid9 = admin.pods().resource(KubeFixtures.deploymentPod("shop", "checkout", "checkout-9", "uid-9",
                    "node-b", "10.1.9.5", "app", KubeFixtures.containerId(9))).create().getMetadata().getUid();
            // The CRUD mock cannot evaluate spec.nodeName selectors: select on the client side here.
            k = KubeContext.start(config(server), NODE, null, NodePods.Selection.CLIENT_FILTER);
            KubeContext kc = k;
            await(() -> kc.nodePods().byUid(uid1).isPresent(), Duration.ofSeconds(20), "the pod in the cache");
            await(kc.health()::synced, Duration.ofSeconds(20), "all watches synced");
            assertTrue(kc.nodePods().byUid(uid9).isEmpty(), "another node's pod is not this node's");
            IpKey other = IpKey.parse("10.1.9.5");
            await(() -> kc.cluster().peer(other.hi(), other.lo()).isPresent(), Duration.ofSeconds(20),
                    "but it is in the cluster-wide address book");
            PodRecord p = kc.nodePods().byContainerId(cid).orElseThrow().pod();
            assertEquals("checkout", p.workload());
            assertEquals("Deployment", p.workloadKind());
            assertEquals("app", kc.nodePods().byContainerId(cid).orElseThrow().container());
            IpKey pod = IpKey.parse("10.1.0.5");
            IpKey svc = IpKey.parse("10.96.0.10");
            await(() -> kc.cluster().peer(svc.hi(), svc.lo()).isPresent(), Duration.ofSeconds(20), "the service");
            assertEquals("checkout-1", kc.cluster().peer(pod.hi(), pod.lo()).orElseThrow().name());
            assertEquals("checkout", kc.cluster().peer(svc.hi(), svc.lo()).orElseThrow().service());

            // A deleted pod's labels disappear.
            admin.pods().inNamespace("shop").withName("checkout-1").delete();
            await(() -> kc.nodePods().byUid(uid1).isEmpty(), Duration.ofSeconds(20), "the deleted pod gone");
            await(() -> kc.cluster().peer(pod.hi(), pod.lo()).isEmpty(), Duration.ofSeconds(20), "its address gone");
            assertTrue(kc.nodePods().byContainerId(cid).isEmpty());

            // Health as the endpoint reports it: the synced gauge and readiness (no grace here).
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            SelfMetrics.bindKube(meters, kc);
            Health ready = new Health(30_000_000_000L, 0, System::nanoTime);
            ready.reader(() -> true, () -> 0, () -> 0);
            ready.kube(kc.health());
            assertEquals(1.0, meters.get("netwatcher.kube.synced").gauge().value());
            assertNull(ready.notReady());

            // The API server goes away: the watches say so, and nothing else breaks.
            server.destroy();
            await(() -> kc.health().state(NodePods.WATCH) == KubeHealth.State.DISCONNECTED, Duration.ofSeconds(30),
                    "the outage noticed");
            assertTrue(kc.health().disconnects() > 0, "the outage counted");
            assertTrue(!kc.health().synced(), "not ready while disconnected");
            assertFalse(kc.synced());
            assertEquals(0.0, meters.get("netwatcher.kube.synced").gauge().value(), "netwatcher_kube_synced drops to 0");
            String why = ready.notReady();
            assertTrue(why != null && why.startsWith("kubernetes API server unreachable for "), String.valueOf(why));
            Health graceful = new Health(30_000_000_000L, 60_000_000_000L, System::nanoTime);
            graceful.reader(() -> true, () -> 0, () -> 0);
            graceful.kube(kc.health());
            assertNull(graceful.notReady(), "within the grace still ready");

            // It comes back (same port, new state): the caches catch up.
            server = KubeFixtures.crudServer(port);
            try (KubernetesClient admin2 = server.createClient()) {
                String uid2 = admin2.pods().resource(KubeFixtures.deploymentPod("shop", "checkout", "checkout-2",
                        "uid-2", NODE, "10.1.0.6", "app", KubeFixtures.containerId(8))).create().getMetadata().getUid();
                await(() -> kc.nodePods().byUid(uid2).isPresent(), Duration.ofSeconds(60), "catching up");
                await(() -> kc.health().state(NodePods.WATCH) == KubeHealth.State.SYNCED, Duration.ofSeconds(30),
                        "synced again");
                assertTrue(kc.health().reconnects() > 0);
                await(kc::synced, Duration.ofSeconds(30), "every watch synced again");
                assertEquals(1.0, meters.get("netwatcher.kube.synced").gauge().value());
                assertNull(ready.notReady(), "ready again");
            }
        } finally {
            if (k != null) {
                k.close();
            }
            server.destroy();
        }
    }

    @Test
    void theNodePodsInformerAsksOnlyForThisNodesPods() throws Exception {
        // The CRUD mock ignores field selectors, so check the request itself (expectations mode).
        KubernetesMockServer server = new KubernetesMockServer(false);
        server.init();
        server.expect().get().withPath("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a&resourceVersion=0")
                .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("1").endMetadata().build())
                .always();
        try (KubernetesClient c = server.createClient()) {
            NodePods pods = new NodePods(null);
            pods.start(c, NODE, new Informers(new KubeHealth()), NodePods.Selection.FIELD_SELECTOR);
            boolean seen = false;
            boolean paged = false;
            for (int i = 0; i < 10 && !(seen && paged); i++) {
                RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
                String path = r == null ? "" : URLDecoder.decode(r.getPath(), StandardCharsets.UTF_8);
                seen |= path.contains("fieldSelector=spec.nodeName=node-a");
                paged |= !path.contains("watch=") && path.contains("limit=" + Informers.LIST_PAGE);
            }
            pods.close();
            assertTrue(seen, "the list/watch requests carry fieldSelector=spec.nodeName=node-a");
            assertTrue(paged, "lists are read in pages of " + Informers.LIST_PAGE);
            assertEquals(java.util.Map.of("spec.nodeName", NODE), NodePods.fieldSelector(NODE));
        } finally {
            server.destroy();
        }
    }
}
