package io.netwatcher.export;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.Transport;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.DnsCounter;
import io.netwatcher.kernel.IcmpCounter;
import io.netwatcher.kernel.KernelMaps;
import java.util.List;
import java.util.Map;

/** {@link KernelSource} over the loaded probes' maps: {@code hists}, {@code connect_hists}, {@code counters}, {@code icmp_counters}, {@code dns_counters} and {@code dns_hists}. */
public final class MapSource implements KernelSource {
    private final KernelMaps maps;

    public MapSource(KernelMaps maps) {
        this.maps = maps;
    }

    @Override
    public List<LayerHistogram> histograms() {
        return maps.histograms().read();
    }

    @Override
    public List<LayerHistogram> udpHistograms() {
        return maps.histograms().read(Transport.UDP);
    }

    @Override
    public List<CgroupHistogram> connectHistograms() {
        return maps.connectHistograms().read();
    }

    @Override
    public Map<Counter, Long> counters() {
        return maps.counters().read();
    }

    @Override
    public Map<IcmpCounter, Long> icmpCounters() {
        return maps.icmpCounters().read();
    }

    @Override
    public Map<DnsCounter, Long> dnsCounters() {
        return maps.dnsCounters().read();
    }

    @Override
    public List<CgroupHistogram> dnsHistograms() {
        return maps.dnsHistograms().read();
    }

    @Override
    public List<NetfilterHistogram> netfilterHistograms() {
        return maps.netfilterHistograms().read();
    }

    @Override
    public void forget(long cgroupId) {
        maps.histograms().forget(cgroupId);
        maps.connectHistograms().forget(cgroupId);
        maps.counters().forget(cgroupId);
        maps.icmpCounters().forget(cgroupId);
        maps.dnsCounters().forget(cgroupId);
        maps.dnsHistograms().forget(cgroupId);
    }
}
