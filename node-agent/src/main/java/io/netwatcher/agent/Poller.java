package io.netwatcher.agent;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
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
 * since the last read), per-process byte deltas (flow), and per-interval latency summaries.
 * Called from one thread.
 */
final class Poller {
    private final ProbeSet probes;
    private final ConnectionRefresher refresher;
    private final EventDecoder decoder = new EventDecoder();
    private final Consumer<io.netwatcher.event.Event> sink;
    private final Map<Long, Long> lastUpdate = new HashMap<>();
    private final Map<FlowKey, long[]> flowTotals = new HashMap<>();
    private final Set<Long> closed = new HashSet<>();
    private final Map<LayerHistogram.Key, LayerHistogram> lastHist = new HashMap<>();
    private long lastPollNs;

    Poller(ProbeSet probes, ConnectionRefresher refresher, Consumer<io.netwatcher.event.Event> sink, long nowNs) {
        this.probes = probes;
        this.refresher = refresher;
        this.sink = sink;
        this.lastPollNs = nowNs;
    }

    private record FlowKey(long cookie, int pid) {
    }

    /** A connection closed: its flow entries are reported one last time, then deleted. */
    synchronized void connectionClosed(long cookie) {
        closed.add(cookie);
    }

    synchronized void poll(long nowNs) {
        long interval = nowNs - lastPollNs;
        lastPollNs = nowNs;
        pollConnections(nowNs);
        pollFlows(nowNs, interval);
        pollLatency(nowNs, interval);
    }

    private void pollConnections(long nowNs) {
        refresher.refresh();
        BpfMap conns = probes.map("conns");
        BpfMap.Entries e = conns.readAll();
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
            if (!s.established() || closed.contains(cookie)) {
                continue;
            }
            Tuple t = decoder.tuple(v, off + Layouts.Conn.T);
            sink.accept(new ConnEvent(ConnEvent.Kind.UPDATE, nowNs, cookie, t, s.state(), s));
        }
        lastUpdate.keySet().retainAll(live);
    }

    private void pollFlows(long nowNs, long interval) {
        BpfMap flows = probes.map("flows");
        BpfMap.Entries e = flows.readAll();
        ByteBuffer k = e.keys();
        ByteBuffer v = e.values();
        Set<FlowKey> seen = new HashSet<>(e.count() * 2);
        for (int i = 0; i < e.count(); i++) {
            int ko = e.keyOffset(i);
            int vo = e.valueOffset(i);
            FlowKey key = new FlowKey(k.getLong(ko + Layouts.FlowKey.COOKIE), k.getInt(ko + Layouts.FlowKey.PID));
            seen.add(key);
            long tx = v.getLong(vo + Layouts.Flow.TX_BYTES);
            long rx = v.getLong(vo + Layouts.Flow.RX_BYTES);
            long[] prev = flowTotals.getOrDefault(key, new long[2]);
            long dtx = tx - prev[0];
            long drx = rx - prev[1];
            if (dtx > 0 || drx > 0) {
                sink.accept(new FlowEvent(nowNs, key.cookie(), v.getLong(vo + Layouts.Flow.CGROUP_ID), key.pid(),
                        decoder.comm(v, vo + Layouts.Flow.COMM), decoder.tuple(v, vo + Layouts.Flow.T), interval,
                        dtx, drx, tx, rx));
            }
            flowTotals.put(key, new long[] {tx, rx});
            if (closed.contains(key.cookie())) {
                flows.delete(e.key(i));
                flowTotals.remove(key);
            }
        }
        flowTotals.keySet().retainAll(seen);
        closed.clear();
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
