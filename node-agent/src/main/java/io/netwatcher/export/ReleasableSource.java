package io.netwatcher.export;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.DnsCounter;
import io.netwatcher.kernel.IcmpCounter;
import java.util.List;
import java.util.Map;

/**
 * A {@link KernelSource} that stops reading once released: at shutdown the probes (and the maps'
 * native objects) are closed while an export that did not finish in time may still collect.
 */
final class ReleasableSource implements KernelSource {
    private final KernelSource maps;
    private volatile boolean released;

    ReleasableSource(KernelSource maps) {
        this.maps = maps;
    }

    /** From now on, nothing is read: every aggregate is empty. */
    void release() {
        released = true;
    }

    @Override
    public List<LayerHistogram> histograms() {
        return released ? List.of() : maps.histograms();
    }

    @Override
    public List<LayerHistogram> udpHistograms() {
        return released ? List.of() : maps.udpHistograms();
    }

    @Override
    public List<CgroupHistogram> connectHistograms() {
        return released ? List.of() : maps.connectHistograms();
    }

    @Override
    public Map<Counter, Long> counters() {
        return released ? Map.of() : maps.counters();
    }

    @Override
    public Map<IcmpCounter, Long> icmpCounters() {
        return released ? Map.of() : maps.icmpCounters();
    }

    @Override
    public Map<DnsCounter, Long> dnsCounters() {
        return released ? Map.of() : maps.dnsCounters();
    }

    @Override
    public List<CgroupHistogram> dnsHistograms() {
        return released ? List.of() : maps.dnsHistograms();
    }

    @Override
    public List<NetfilterHistogram> netfilterHistograms() {
        return released ? List.of() : maps.netfilterHistograms();
    }

    @Override
    public void forget(long cgroupId) {
        if (!released) {
            maps.forget(cgroupId);
        }
    }
}
