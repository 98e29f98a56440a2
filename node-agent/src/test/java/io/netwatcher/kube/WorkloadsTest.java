package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkloadsTest {
    private static Workloads.Workload of(Pod p, Workloads.OwnerLookup lookup) {
        return Workloads.of(p, lookup).orElseThrow();
    }

    @Test
    void aReplicaSetNamedWithThePodTemplateHashIsADeploymentsWithoutAskingTheApi() {
        Pod p = KubeFixtures.deploymentPod("shop", "checkout", "checkout-7c9d5f8b6-xk2lp", "u1", "n", "10.0.0.5",
                "app", KubeFixtures.containerId(1));
        Workloads.OwnerLookup none = (k, ns, n) -> {
            throw new AssertionError("no API call needed");
        };
        assertEquals(new Workloads.Workload("checkout", "Deployment"), of(p, none));
    }

    @Test
    void otherOwnersAndLookups() {
        assertEquals(new Workloads.Workload("db", "StatefulSet"),
                of(KubeFixtures.ownedPod("ns", "db-0", "u", "n", "StatefulSet", "db"), null));
        assertEquals(new Workloads.Workload("fluentd", "DaemonSet"),
                of(KubeFixtures.ownedPod("ns", "fluentd-abcde", "u", "n", "DaemonSet", "fluentd"), null));
        Pod job = KubeFixtures.ownedPod("ns", "backup-28934560-q2x", "u", "n", "Job", "backup-28934560");
        assertEquals(new Workloads.Workload("backup-28934560", "Job"), of(job, null), "no lookup: the Job");
        Workloads.OwnerLookup cron = (kind, ns, name) -> kind.equals("Job")
                ? Optional.of(new OwnerReferenceBuilder().withKind("CronJob").withName("backup").build()) : Optional.empty();
        assertEquals(new Workloads.Workload("backup", "CronJob"), of(job, cron), "a CronJob's Job");
        Pod rs = KubeFixtures.ownedPod("ns", "legacy-abc", "u", "n", "ReplicaSet", "legacy");
        assertEquals(new Workloads.Workload("legacy", "ReplicaSet"), of(rs, (k, ns, n) -> Optional.empty()),
                "a ReplicaSet without a Deployment");
        Pod bare = new PodBuilder().withNewMetadata().withNamespace("ns").withName("debug").endMetadata().build();
        assertTrue(Workloads.of(bare, null).isEmpty(), "a bare pod has no workload");
    }
}
