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
    private final ConnectHistogramMap connectHistograms;
    private final CounterMap counters;
    private final IcmpCounterMap icmpCounters;
    private final DnsCounterMap dnsCounters;
    private final DnsHistogramMap dnsHistograms;
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
        this.connectHistograms = new ConnectHistogramMap(object);
        this.counters = new CounterMap(object);
        this.icmpCounters = new IcmpCounterMap(object);
        this.dnsCounters = new DnsCounterMap(object);
        this.dnsHistograms = new DnsHistogramMap(object);
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

    public ConnectHistogramMap connectHistograms() {
        return connectHistograms;
    }

    public CounterMap counters() {
        return counters;
    }

    public IcmpCounterMap icmpCounters() {
        return icmpCounters;
    }

    public DnsCounterMap dnsCounters() {
        return dnsCounters;
    }

    public DnsHistogramMap dnsHistograms() {
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

    /** The hash maps whose fill level is a self-metric. */
    public List<MapView> hashMaps() {
        return List.of(connections, histograms, connectHistograms, counters, icmpCounters, dnsCounters, dnsHistograms,
                netfilterHistograms, listeners);
    }

    /** Maps the ring buffer; the caller closes it (before the object). */
    public EventRing openEventRing() {
        return new EventRing(object);
    }
}
