package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the controller of a ReplicaSet (its Deployment) or a Job (its CronJob) from the API
 * server, with a bounded cache: owners do not change. Only called while the pod cache is
 * updated, never per event. Failures answer "unknown" and are retried on a later pod update.
 */
final class ApiOwnerLookup implements Workloads.OwnerLookup {
    private static final Logger LOG = LoggerFactory.getLogger(ApiOwnerLookup.class);
    private static final int MAX = 20_000;

    private final KubernetesClient client;
    private final Map<String, Optional<OwnerReference>> cache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<OwnerReference>> e) {
            return size() > MAX;
        }
    };

    ApiOwnerLookup(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public Optional<OwnerReference> controllerOf(String kind, String namespace, String name) {
        String key = kind + "/" + namespace + "/" + name;
        synchronized (cache) {
            Optional<OwnerReference> hit = cache.get(key);
            if (hit != null) {
                return hit;
            }
        }
        HasMetadata obj;
        try {
            obj = switch (kind) {
                case "ReplicaSet" -> client.apps().replicaSets().inNamespace(namespace).withName(name).get();
                case "Job" -> client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
                default -> null;
            };
        } catch (KubernetesClientException e) {
            LOG.debug("cannot read {} {}/{}: {}", kind, namespace, name, e.getMessage());
            return Optional.empty(); // not cached: retried next time
        }
        Optional<OwnerReference> owner = obj == null ? Optional.empty()
                : Optional.ofNullable(Workloads.controller(obj.getMetadata().getOwnerReferences()));
        synchronized (cache) {
            cache.put(key, owner);
        }
        return owner;
    }
}
