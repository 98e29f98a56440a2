package io.netwatcher.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An informer item store that keeps a compact record per object instead of the object, so a
 * cluster-wide pod watch costs a few hundred bytes per pod. The informer gets back minimal
 * objects (name, namespace, uid, resourceVersion): enough for its bookkeeping; event handlers
 * still receive the full objects from the API server.
 */
final class CompactStore<T extends HasMetadata, R> implements ItemStore<T> {
    private final Map<String, R> items = new ConcurrentHashMap<>();
    private final Function<T, R> compact;
    private final Function<R, T> expand;

    CompactStore(Function<T, R> compact, Function<R, T> expand) {
        this.compact = compact;
        this.expand = expand;
    }

    @Override
    public String getKey(T obj) {
        return Cache.metaNamespaceKeyFunc(obj);
    }

    @Override
    public T put(String key, T obj) {
        R old = items.put(key, compact.apply(obj));
        return old == null ? null : expand.apply(old);
    }

    @Override
    public T remove(String key) {
        R old = items.remove(key);
        return old == null ? null : expand.apply(old);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet().stream();
    }

    @Override
    public Stream<T> values() {
        return items.values().stream().map(expand);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public T get(String key) {
        R r = items.get(key);
        return r == null ? null : expand.apply(r);
    }

    /** The objects are minimal stand-ins, not the full state. */
    @Override
    public boolean isFullState() {
        return false;
    }

    R record(String key) {
        return items.get(key);
    }

    Stream<R> records() {
        return items.values().stream();
    }
}
