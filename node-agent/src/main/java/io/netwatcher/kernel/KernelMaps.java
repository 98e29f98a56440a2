package io.netwatcher.kernel;

import io.netwatcher.bpf.BpfObject;
import java.util.List;

/**
 * Every map of the loaded probes the agent reads or writes, as a typed view: each view owns its
 * map's name and the codec of its keys and values, so no other code names a map or reads its
 * bytes. Built once the object is loaded.
 */
public final class KernelMaps {
    private final ConnectionMap connections;
    private final GoneConnections gone;
    private final HistogramMap histograms;
    private final CgroupHistogramMap connectHistograms;
    private final CounterMap<Counter> counters;
    private final ConnectCountMap connectCounts;
    private final CounterMap<IcmpCounter> icmpCounters;
    private final CounterMap<DnsCounter> dnsCounters;
    private final CgroupHistogramMap dnsHistograms;
    private final NetfilterHistogramMap netfilterHistograms;
    private final StatsMap stats;
    private final ControlMap control;
    private final ListenerMap listeners;
    private final BpfObject object;

    private KernelMaps(BpfObject object) {
        this.object = object;
        this.connections = new ConnectionMap(object, System::nanoTime);
        this.gone = new GoneConnections(object);
        this.histograms = new HistogramMap(object);
        this.connectHistograms = new CgroupHistogramMap(object, CgroupHistogramMap.CONNECT);
        this.counters = new CounterMap<>(object, CounterMap.COUNTERS, Counter::read, Counter::cgroupId);
        this.connectCounts = new ConnectCountMap(object);
        this.icmpCounters = new CounterMap<>(object, CounterMap.ICMP, IcmpCounter::read, IcmpCounter::cgroupId);
        this.dnsCounters = new CounterMap<>(object, CounterMap.DNS, DnsCounter::read, DnsCounter::cgroupId);
        this.dnsHistograms = new CgroupHistogramMap(object, CgroupHistogramMap.DNS);
        this.netfilterHistograms = new NetfilterHistogramMap(object);
        this.stats = new StatsMap(object);
        this.control = new ControlMap(object);
        this.listeners = new ListenerMap(object);
    }

    /** The views of a loaded object. */
    public static KernelMaps of(BpfObject loaded) {
        if (!loaded.isLoaded()) {
            throw new IllegalStateException("object " + loaded.name() + " is not loaded");
        }
        return new KernelMaps(loaded);
    }

    public ConnectionMap connections() {
        return connections;
    }

    public GoneConnections goneConnections() {
        return gone;
    }

    public HistogramMap histograms() {
        return histograms;
    }

    public CgroupHistogramMap connectHistograms() {
        return connectHistograms;
    }

    public CounterMap<Counter> counters() {
        return counters;
    }

    public ConnectCountMap connectCounts() {
        return connectCounts;
    }

    public CounterMap<IcmpCounter> icmpCounters() {
        return icmpCounters;
    }

    public CounterMap<DnsCounter> dnsCounters() {
        return dnsCounters;
    }

    public CgroupHistogramMap dnsHistograms() {
        return dnsHistograms;
    }

    public NetfilterHistogramMap netfilterHistograms() {
        return netfilterHistograms;
    }

    public StatsMap stats() {
        return stats;
    }

    public ControlMap control() {
        return control;
    }

    /** The hash maps whose fill level is a self-metric (the connections' is counted from its snapshots). */
    public List<MapView> hashMaps() {
        return List.of(connections, histograms.fill(), connectHistograms.fill(), counters.fill(), connectCounts.fill(),
                icmpCounters.fill(), dnsCounters.fill(), dnsHistograms.fill(), listeners.fill(),
                netfilterHistograms.fill());
    }

    /** Maps the ring buffer; the caller closes it (before the object). */
    public EventRing openEventRing() {
        return new EventRing(object);
    }
}
