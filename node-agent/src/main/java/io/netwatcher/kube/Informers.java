package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;

/**
 * Starts informers that never give up: list or watch failures (API server unreachable at start
 * or later) are reported to {@link KubeHealth} and retried with the client's backoff, and the
 * caches catch up when the API returns. Starting does not block the agent.
 */
final class Informers {
    /**
     * Objects per list request. A list is read whole into memory and fabric8's JDK client keeps the
     * last response of a connection referenced: pages keep both small on a big cluster.
     */
    static final long LIST_PAGE = 500;

    private final KubeHealth health;

    Informers(KubeHealth health) {
        this.health = health;
    }

    <T extends HasMetadata> SharedIndexInformer<T> start(String watch, Informable<T> source, ItemStore<T> store,
                                                          ResourceEventHandler<T> handler) {
        SharedIndexInformer<T> informer = source.withLimit(LIST_PAGE).runnableInformer(0);
        informer.itemStore(store);
        informer.removeNamespaceIndex();
        informer.exceptionHandler((started, t) -> {
            health.error();
            health.set(watch, KubeHealth.State.DISCONNECTED, t.getClass().getSimpleName() + ": " + t.getMessage());
            return true; // keep retrying, with backoff
        });
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                handler.onAdd(obj);
                markSynced(watch, informer);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                handler.onUpdate(oldObj, newObj);
                markSynced(watch, informer);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                handler.onDelete(obj, deletedFinalStateUnknown);
            }

            @Override
            public void onNothing() {
                markSynced(watch, informer);
            }
        });
        health.set(watch, KubeHealth.State.STARTING, "");
        informer.start().whenComplete((v, t) -> {
            if (t == null) {
                markSynced(watch, informer);
            }
        });
        return informer;
    }

    private void markSynced(String watch, SharedIndexInformer<?> informer) {
        if (informer.hasSynced() && informer.isWatching()) {
            health.set(watch, KubeHealth.State.SYNCED, "");
        }
    }

    /** Re-evaluates watch states (a reconnect is seen as watching again). */
    void refresh(String watch, SharedIndexInformer<?> informer) {
        if (informer == null) {
            return;
        }
        if (informer.isWatching() && informer.hasSynced()) {
            health.set(watch, KubeHealth.State.SYNCED, "");
        } else if (health.state(watch) == KubeHealth.State.SYNCED) {
            health.set(watch, KubeHealth.State.DISCONNECTED, "watch not running");
        }
    }
}
