package io.netwatcher.export;

import io.netwatcher.event.CgroupHistogram;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.kernel.Counter;
import io.netwatcher.kernel.DnsCounter;
import io.netwatcher.kernel.IcmpCounter;
import java.util.List;
import java.util.Map;

/** The in-kernel aggregates, read when metrics are collected. */
public interface KernelSource {
    /** Cumulative layer histograms of TCP segments per (cgroup, direction, layer). */
    List<LayerHistogram> histograms();

    /** Cumulative layer histograms of UDP datagrams per (cgroup, direction, layer). */
    List<LayerHistogram> udpHistograms();

    /** Cumulative connect-latency histograms per cgroup. */
    List<CgroupHistogram> connectHistograms();

    /** Cumulative event counters per (cgroup, kind, detail). */
    Map<Counter, Long> counters();

    /** Cumulative ICMP counters per (cgroup or network namespace, kind, family, type, code). */
    Map<IcmpCounter, Long> icmpCounters();

    /** Cumulative DNS counters per (client cgroup, kind, response code, transport, family). */
    Map<DnsCounter, Long> dnsCounters();

    /** Cumulative DNS latency histograms per client cgroup. */
    List<CgroupHistogram> dnsHistograms();

    /**
     * Cumulative netfilter hook-time histograms per (socket cgroup, network namespace, family, hook);
     * empty when netfilter hook times are off.
     */
    default List<NetfilterHistogram> netfilterHistograms() {
        return List.of();
    }

    /** The cgroup is gone: its kernel entries can be deleted. */
    void forget(long cgroupId);

}
