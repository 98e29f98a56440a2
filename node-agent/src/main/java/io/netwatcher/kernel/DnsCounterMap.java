package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code dns_counters} map: per-CPU DNS counts per client cgroup, kind, response code,
 * transport and family (key struct nw_dns_key, value __u64). An LRU map: the kernel evicts the least
 * recently counted entries when it is full.
 */
public final class DnsCounterMap implements MapView {
    public static final String NAME = "dns_counters";
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private final BpfMap map;

    DnsCounterMap(BpfObject object) {
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
    public Map<DnsCounter, Long> read() {
        Map<DnsCounter, Long> out = new HashMap<>();
        int stride = map.valueStride();
        int cpus = map.lookupSize() / stride;
        map.forEachChunk(e -> {
            ByteBuffer k = e.keys();
            for (int i = 0; i < e.count(); i++) {
                int ko = e.keyOffset(i);
                DnsKind kind = DnsKind.of(Byte.toUnsignedInt(k.get(ko + Layouts.DnsKey.KIND)));
                if (kind == null) {
                    continue;
                }
                long sum = 0;
                for (int c = 0; c < cpus; c++) {
                    sum += e.values().getLong(e.valueOffset(i) + c * stride);
                }
                int family = Byte.toUnsignedInt(k.get(ko + Layouts.DnsKey.FAMILY));
                out.merge(new DnsCounter(k.getLong(ko + Layouts.DnsKey.CGROUP_ID), kind,
                        Byte.toUnsignedInt(k.get(ko + Layouts.DnsKey.RCODE)) & 0xf,
                        Byte.toUnsignedInt(k.get(ko + Layouts.DnsKey.PROTOCOL)), family == AF_INET6 ? 6 : 4),
                        sum, Long::sum);
            }
        });
        return out;
    }

    /** Deletes every counter of a cgroup (the cgroup is gone). */
    public void forget(long cgroupId) {
        for (DnsCounter c : read().keySet()) {
            if (c.cgroupId() == cgroupId) {
                ByteBuffer k = ByteBuffer.allocate(Layouts.DnsKey.SIZE).order(ByteOrder.nativeOrder());
                k.putLong(Layouts.DnsKey.CGROUP_ID, cgroupId)
                        .put(Layouts.DnsKey.KIND, (byte) c.kind().value())
                        .put(Layouts.DnsKey.RCODE, (byte) c.rcode())
                        .put(Layouts.DnsKey.PROTOCOL, (byte) c.protocol())
                        .put(Layouts.DnsKey.FAMILY, (byte) (c.ipVersion() == 6 ? AF_INET6 : AF_INET));
                map.delete(k.array());
            }
        }
    }
}
