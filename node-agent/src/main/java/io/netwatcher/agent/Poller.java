package io.netwatcher.agent;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventDecoder;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.Layouts;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.Tuple;
import io.netwatcher.probe.ProbeSet;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Periodic reads of the kernel's maps: connection updates (connections whose counters changed
 * since the last read), per-connection byte deltas with the owning process (flow), and
 * per-interval latency summaries. A connection's last deltas are reported when it closes.
 */
final class Poller {
    private final ProbeSet probes;
    private final ConnectionRefresher refresher;
    private final EventDecoder decoder = new EventDecoder();
    private final Consumer<Event> sink;
    private final Map<Long, Long> lastUpdate = new HashMap<>();
    private final Map<Long, long[]> flowTotals = new HashMap<>();
    private final Map<LayerHistogram.Key, LayerHistogram> lastHist = new HashMap<>();
    private long lastPollNs;

    Poller(ProbeSet probes, ConnectionRefresher refresher, Consumer<Event> sink, long nowNs) {
        this.probes = probes;
        this.refresher = refresher;
        this.sink = sink;
        this.lastPollNs = nowNs;
    }

    /** A connection closed: report its bytes since the last poll and forget it. */
    synchronized void connectionClosed(ConnEvent close) {
        flow(close.cookie(), close.stats(), close.tuple(), close.timeNs(), close.timeNs() - lastPollNs);
        flowTotals.remove(close.cookie());
        lastUpdate.remove(close.cookie());
    }

    synchronized void poll(long nowNs) {
        long interval = nowNs - lastPollNs;
        lastPollNs = nowNs;
        pollConnections(nowNs, interval);
        pollLatency(nowNs, interval);
    }

    private void pollConnections(long nowNs, long interval) {
        refresher.refresh();
        BpfMap.Entries e = probes.map("conns").readAll();
        ByteBuffer k = e.keys();
        ByteBuffer v = e.values();
        Set<Long> live = new HashSet<>(e.count() * 2);
        for (int i = 0; i < e.count(); i++) {
            long cookie = k.getLong(e.keyOffset(i));
            int off = e.valueOffset(i);
            live.add(cookie);
            long update = v.getLong(off + Layouts.Conn.UPDATE_NS);
            Long prev = lastUpdate.put(cookie, update);
            if (prev != null && prev == update) {
                continue;
            }
            ConnStats s = decoder.stats(v, off);
            if (!s.established()) {
                continue;
            }
            Tuple t = decoder.tuple(v, off + Layouts.Conn.T);
            flow(cookie, s, t, nowNs, interval);
            sink.accept(new ConnEvent(ConnEvent.Kind.UPDATE, nowNs, cookie, t, s.state(), s));
        }
        lastUpdate.keySet().retainAll(live);
        flowTotals.keySet().retainAll(live);
    }

    /** Bytes since the last report of this connection, attributed to its owning process. */
    private void flow(long cookie, ConnStats s, Tuple t, long nowNs, long interval) {
        long[] prev = flowTotals.getOrDefault(cookie, new long[2]);
        long tx = s.bytesSent() - prev[0];
        long rx = s.bytesReceived() - prev[1];
        flowTotals.put(cookie, new long[] {s.bytesSent(), s.bytesReceived()});
        if (tx > 0 || rx > 0) {
            sink.accept(new FlowEvent(nowNs, cookie, s.cgroupId(), s.pid(), s.comm(), t, interval, Math.max(0, tx),
                    Math.max(0, rx), s.bytesSent(), s.bytesReceived()));
        }
    }

    private void pollLatency(long nowNs, long interval) {
        List<LayerHistogram> hists = KernelMaps.histograms(probes.map("hists"));
        for (LayerHistogram h : hists) {
            LayerHistogram prev = lastHist.put(h.key(), h);
            LayerHistogram d = h.minus(prev);
            if (d.count() > 0) {
                sink.accept(new LatencyEvent(nowNs, interval, d));
            }
        }
    }
}
