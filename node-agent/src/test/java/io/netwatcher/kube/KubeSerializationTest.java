package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class KubeSerializationTest {
    private final KubernetesSerialization s = KubeContext.serialization();

    private Object watched(String apiVersion, String kind) {
        WatchEvent e = s.unmarshal("{\"type\":\"MODIFIED\",\"object\":{\"apiVersion\":\"" + apiVersion
                + "\",\"kind\":\"" + kind + "\",\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"}}}", WatchEvent.class);
        return e.getObject();
    }

    @Test
    void watchEventsOfTheKindsTheAgentWatchesAreTyped() {
        assertEquals("a", assertInstanceOf(Pod.class, watched("v1", "Pod")).getMetadata().getName());
        assertInstanceOf(Service.class, watched("v1", "Service"));
        assertInstanceOf(Status.class, watched("v1", "Status")); // watch errors (410 Gone: relist)
    }

    @Test
    void otherKindsAreNotLoadedAtAll() {
        // No class path scan: a kind the agent never reads stays generic.
        assertNull(s.getRegisteredKubernetesResource("apps/v1", "Deployment"));
        assertInstanceOf(GenericKubernetesResource.class, watched("apps/v1", "Deployment"));
        assertEquals(KubeContext.KINDS.size(), KubeContext.KINDS.stream()
                .filter(c -> s.getRegisteredKubernetesResource(
                        io.fabric8.kubernetes.api.model.HasMetadata.getApiVersion(c),
                        io.fabric8.kubernetes.api.model.HasMetadata.getKind(c)) == c).count());
    }
}
