package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * A map of per-CPU event counts (value __u64) keyed by a struct that names a cgroup and what was
 * counted: {@link #COUNTERS} ({@link Counter}), {@link #ICMP} ({@link IcmpCounter}) or {@link #DNS}
 * ({@link DnsCounter}). The ICMP and DNS maps are LRU maps: the kernel evicts the least recently
 * counted entries when they are full.
 *
 * @param <K> the key, decoded
 */
public final class CounterMap<K> {
    /** Event counts per cgroup, kind and detail (struct nw_counter_key). */
    public static final String COUNTERS = "counters";
    /** ICMP message counts per cgroup (or network namespace), kind, family, type and code (struct nw_icmp_key). */
    public static final String ICMP = "icmp_counters";
    /** DNS counts per client cgroup, kind, response code, transport and family (struct nw_dns_key). */
    public static final String DNS = "dns_counters";

    /** Decodes the key struct at an offset of a chunk's keys; null for a kind this agent does not know. */
    interface KeyReader<K> {
        K read(ByteBuffer keys, int offset);
    }

    private final BpfMap map;
    private final MapFill fill;
    private final KeyReader<K> keys;
    private final ToLongFunction<K> cgroupOf;

    CounterMap(BpfObject object, String name, KeyReader<K> keys, ToLongFunction<K> cgroupOf) {
        this.map = object.map(name);
        this.fill = new MapFill(map, KernelStat.COUNTERS_FULL);
        this.keys = keys;
        this.cgroupOf = cgroupOf;
    }

    /** The map's fill level (self-metrics). */
    public MapView fill() {
        return fill;
    }

    /** Every counter, summed over CPUs (a kind this agent does not know is left out). */
    public Map<K, Long> read() {
        Map<K, Long> out = new HashMap<>();
        PerCpuValues cpus = new PerCpuValues(map);
        map.forEachChunk(e -> {
            for (int i = 0; i < e.count(); i++) {
                K key = keys.read(e.keys(), e.keyOffset(i));
                if (key != null) {
                    out.merge(key, cpus.sum(e.values(), e.valueOffset(i)), Long::sum);
                }
            }
        });
        return out;
    }

    /** Deletes every counter of a cgroup (the cgroup is gone). */
    public void forget(long cgroupId) {
        List<byte[]> gone = new ArrayList<>();
        map.forEachChunk(e -> {
            for (int i = 0; i < e.count(); i++) {
                K key = keys.read(e.keys(), e.keyOffset(i));
                if (key != null && cgroupOf.applyAsLong(key) == cgroupId) {
                    gone.add(e.key(i));
                }
            }
        });
        gone.forEach(map::delete);
    }
}
