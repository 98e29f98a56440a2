package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code icmp_counters} map: per-CPU ICMP message counts per cgroup (or network namespace),
 * kind, family, type and code (key struct nw_icmp_key, value __u64). An LRU map: the kernel evicts
 * the least recently counted entries when it is full.
 */
public final class IcmpCounterMap implements MapView {
    public static final String NAME = "icmp_counters";
    private static final int AF_INET6 = 10;

    private final BpfMap map;

    IcmpCounterMap(BpfObject object) {
        this.map = object.map(NAME);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int entries() {
        return map.countEntries();
    }

    @Override
    public int capacity() {
        return map.maxEntries();
    }

    @Override
    public Optional<KernelStat> fullStat() {
        return Optional.of(KernelStat.COUNTERS_FULL);
    }

    /** Every counter, summed over CPUs (a kind this agent does not know is left out). */
    public Map<IcmpCounter, Long> read() {
        Map<IcmpCounter, Long> out = new HashMap<>();
        int stride = map.valueStride();
        int cpus = map.lookupSize() / stride;
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                IcmpKind kind = IcmpKind.of(Byte.toUnsignedInt(k.get(ko + Layouts.IcmpKey.KIND)));
                if (kind == null) {
                    continue;
                }
                long sum = 0;
                for (int c = 0; c < cpus; c++) {
                    sum += e.values().getLong(e.valueOffset(i) + c * stride);
                }
                int family = Byte.toUnsignedInt(k.get(ko + Layouts.IcmpKey.FAMILY));
                out.merge(new IcmpCounter(k.getLong(ko + Layouts.IcmpKey.CGROUP_ID),
                        Integer.toUnsignedLong(k.getInt(ko + Layouts.IcmpKey.NETNS)), kind, family == AF_INET6 ? 6 : 4,
                        Byte.toUnsignedInt(k.get(ko + Layouts.IcmpKey.TYPE)),
                        Byte.toUnsignedInt(k.get(ko + Layouts.IcmpKey.CODE))), sum, Long::sum);
            }
        });
        return out;
    }

    /** Deletes every counter of a cgroup (the cgroup is gone). */
    public void forget(long cgroupId) {
        for (IcmpCounter c : read().keySet()) {
            if (c.cgroupId() == cgroupId) {
                ByteBuffer k = ByteBuffer.allocate(Layouts.IcmpKey.SIZE).order(ByteOrder.nativeOrder());
                k.putLong(Layouts.IcmpKey.CGROUP_ID, cgroupId)
                        .putInt(Layouts.IcmpKey.NETNS, (int) c.netns())
                        .put(Layouts.IcmpKey.KIND, (byte) c.kind().value())
                        .put(Layouts.IcmpKey.FAMILY, (byte) (c.ipVersion() == 6 ? AF_INET6 : 2))
                        .put(Layouts.IcmpKey.TYPE, (byte) c.type())
                        .put(Layouts.IcmpKey.CODE, (byte) c.code());
                map.delete(k.array());
            }
        }
    }
}
