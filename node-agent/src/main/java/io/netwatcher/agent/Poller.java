package io.netwatcher.agent;

import io.netwatcher.anomaly.LatencyAnomalies;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Event;
import io.netwatcher.event.FlowEvent;
import io.netwatcher.event.LatencyEvent;
import io.netwatcher.event.LayerHistogram;
import io.netwatcher.event.NetfilterEvent;
import io.netwatcher.event.NetfilterHistogram;
import io.netwatcher.event.SocketFilter;
import io.netwatcher.event.Tuple;
import io.netwatcher.kernel.ConnSnapshot;
import io.netwatcher.kernel.GoneConnections;
import io.netwatcher.kernel.KernelMaps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Periodic reads of the kernel's maps: connection updates (connections whose kernel record
 * changed since the last read, the refresh time aside), per-connection byte deltas with the
 * owning process (flow), per-interval latency and netfilter hook time summaries, and connect counts per destination
 * ({@link ConnectCounts}, filtered by the kernel as it counts). A connection's last deltas are
 * reported when it closes. A connection older than the agent is first read as a baseline: its
 * flows start from there. With a socket filter (--sport/--dport/--uid) updates and flows are those of
 * matching sockets, and latency summaries (per cgroup, every socket's packets) are not reported,
 * nor latency anomalies (found in the same per-interval histograms).
 * The connections map is read once per interval ({@link ConnSnapshot}), after the socket walk.
 */
final class Poller {
    private final KernelMaps maps;
    private final ConnectionRefresher refresher;
    private final Consumer<Event> sink;
    private final SocketFilter filter;
    private final LatencyAnomalies anomalies;
    private final ConnectCounts connects;
    /** Per connection: a digest of its kernel record without update_ns, as last reported. */
    private final Map<Long, Long> lastDigest = new HashMap<>();
    /** Established connections seen without an owner: each one asks for the owner walk once. */
    private final Set<Long> unowned = new HashSet<>();
    /** Connections the walk of their namespace did not find, and in how many walks in a row. */
    private final Map<Long, Integer> missing = new HashMap<>();
    /** Connections listed in conn_gc for the next walk to close. */
    private final Set<Long> listedGone = new HashSet<>();
    private final Map<Long, FlowState> flows = new HashMap<>();
    /** Cookies whose close was reported (close time): a map entry still read for one is stale. */
    private final Map<Long, Long> closed = new HashMap<>();
    private final Map<LayerHistogram.Key, LayerHistogram> lastHist = new HashMap<>();
    private final Map<NetfilterHistogram.Key, NetfilterHistogram> lastNetfilter = new HashMap<>();
    /** The namespaces holding connections as of the last read: the next walk's. */
    private Set<Long> namespaces = Set.of();
    private long lastPollNs;

    /** Bytes of one connection reported so far, when, and when its map entry was last seen. */
    private static final class FlowState {
        long sent;
        long received;
        long lastNs;
        long seenNs;

        FlowState(long lastNs) {
            this.lastNs = lastNs;
        }
    }

    /** {@code filter}: the sockets to report (ports, owner); {@code anomalies}: fed every interval's histograms. */
    Poller(KernelMaps maps, ConnectionRefresher refresher, Consumer<Event> sink, long nowNs, SocketFilter filter,
           LatencyAnomalies anomalies) {
        this.maps = maps;
        this.anomalies = anomalies;
        this.refresher = refresher;
        this.sink = sink;
        this.lastPollNs = nowNs;
        this.filter = filter;
        this.connects = new ConnectCounts(maps.connectCounts());
    }

    private boolean matches(Tuple t, ConnStats s) {
        return filter.matches(t, Integer.toUnsignedLong(s.uid()));
    }

    /**
     * A connection closed: report its bytes since its last report and forget it. The close event
     * can arrive after a poll that no longer found the connection in the map (the ring buffer is
     * read in batches), so what was reported is kept until the close or a few intervals.
     */
    synchronized void connectionClosed(ConnEvent close) {
        if (closed.putIfAbsent(close.cookie(), close.timeNs()) != null) {
            return;
        }
        flow(close.cookie(), close.stats(), close.tuple(), close.timeNs());
        flows.remove(close.cookie());
        lastDigest.remove(close.cookie());
    }

    synchronized void poll(long nowNs) {
        long interval = nowNs - lastPollNs;
        lastPollNs = nowNs;
        pollConnections(nowNs, interval);
        pollLatency(nowNs, interval);
        pollNetfilter(nowNs, interval);
        connects.poll(nowNs, interval, sink);
    }

    /**
     * The namespaces holding connections as of the last read are walked first, so the one read of
     * this interval sees the counters the walk left. A namespace the read finds that was not
     * walked (its connections are new) is walked at once and the map read again.
     */
    private ConnSnapshot walkAndRead(Set<Long> walked) {
        walked.addAll(refresher.refresh(namespaces)); // also closes the connections listed gone last time
        ConnSnapshot snap = maps.connections().snapshot();
        if (refresher.walks()) {
            Set<Long> unseen = snap.namespaces();
            unseen.removeAll(namespaces);
            Set<Long> more = unseen.isEmpty() ? Set.of() : refresher.refresh(unseen);
            if (!more.isEmpty()) {
                walked.addAll(more);
                snap = maps.connections().snapshot();
            }
            namespaces = snap.namespaces();
        }
        return snap;
    }

    private void pollConnections(long nowNs, long interval) {
        Set<Long> walked = new HashSet<>();
        ConnSnapshot snap = walkAndRead(walked);
        GoneConnections gc = maps.goneConnections();
        for (long cookie : listedGone) {
            gc.remove(cookie);
        }
        listedGone.clear();
        List<ConnEvent> changed = new ArrayList<>();
        List<Long> gone = new ArrayList<>();
        Set<Long> present = new HashSet<>();
        boolean findOwners = false;
        for (int i = 0; i < snap.size(); i++) {
            long cookie = snap.cookie(i);
            if (closed.containsKey(cookie)) {
                continue; // deleted by the kernel right after its close event
            }
            present.add(cookie);
            // Not refreshed by a walk of its namespace that started after it was last seen: the socket
            // is gone and neither its close nor its destruction was seen. Twice in a row, to be sure.
            if (walked.contains(snap.netns(i)) && snap.updateNs(i) < nowNs) {
                if (missing.merge(cookie, 1, Integer::sum) >= 2) {
                    gone.add(cookie);
                }
            } else {
                missing.remove(cookie);
            }
            FlowState st = flows.get(cookie);
            if (st != null) {
                st.seenNs = nowNs;
            }
            long digest = snap.digest(i);
            Long prev = lastDigest.put(cookie, digest);
            if (prev != null && prev == digest) {
                continue;
            }
            ConnStats s = snap.stats(i);
            if (s.established() && s.pid() == 0 && unowned.add(cookie)) {
                findOwners = true;
            }
            if (s.established()) {
                changed.add(new ConnEvent(ConnEvent.Kind.UPDATE, nowNs, cookie, snap.tuple(i), s.state(), s));
            }
        }
        for (ConnEvent c : changed) {
            flow(c.cookie(), c.stats(), c.tuple(), nowNs);
            flows.get(c.cookie()).seenNs = nowNs;
            if (matches(c.tuple(), c.stats())) {
                sink.accept(c);
            }
        }
        // Gone from the map without a close event yet: keep a while, the event may be on its way.
        long keepNs = Math.max(4 * interval, 5_000_000_000L);
        flows.values().removeIf(st -> nowNs - st.seenNs > keepNs);
        lastDigest.keySet().retainAll(flows.keySet());
        unowned.retainAll(flows.keySet());
        missing.keySet().retainAll(present);
        for (long cookie : gone) {
            if (listedGone.size() >= gc.capacity()) {
                break; // the rest in the next interval
            }
            gc.add(cookie); // closed by the next walk
            listedGone.add(cookie);
            missing.remove(cookie);
        }
        if (findOwners) {
            refresher.findOwners(); // seen in the next read
        }
        closed.values().removeIf(t -> nowNs - t > 30_000_000_000L);
    }

    /**
     * Bytes since the last report of this connection, attributed to its owning process. A
     * connection older than the agent (start unknown) is first read as a baseline, not reported:
     * its bytes before the agent are not this interval's.
     */
    private void flow(long cookie, ConnStats s, Tuple t, long nowNs) {
        FlowState st = flows.get(cookie);
        if (st == null) {
            st = new FlowState(s.startNs() != 0 ? s.startNs() : nowNs);
            flows.put(cookie, st);
            if (s.startNs() == 0) {
                st.sent = s.bytesSent();
                st.received = s.bytesReceived();
                st.seenNs = nowNs;
                return;
            }
        }
        long tx = s.bytesSent() - st.sent;
        long rx = s.bytesReceived() - st.received;
        long interval = Math.max(0, nowNs - st.lastNs);
        st.sent = Math.max(st.sent, s.bytesSent());
        st.received = Math.max(st.received, s.bytesReceived());
        st.lastNs = Math.max(st.lastNs, nowNs);
        st.seenNs = Math.max(st.seenNs, nowNs);
        if ((tx > 0 || rx > 0) && matches(t, s)) {
            sink.accept(new FlowEvent(nowNs, cookie, s.cgroupId(), s.pid(), s.comm(), t, interval, Math.max(0, tx),
                    Math.max(0, rx), s.bytesSent(), s.bytesReceived()));
        }
    }

    private void pollLatency(long nowNs, long interval) {
        if (!filter.isAll()) {
            return; // per-cgroup aggregates of every socket: they cannot be narrowed to a port or owner
        }
        List<LayerHistogram> hists = maps.histograms().read();
        Set<LayerHistogram.Key> live = new HashSet<>(hists.size() * 2);
        for (LayerHistogram h : hists) {
            live.add(h.key());
            LayerHistogram prev = lastHist.put(h.key(), h);
            LayerHistogram d = h.minus(prev);
            if (d.count() > 0) {
                sink.accept(new LatencyEvent(nowNs, interval, d));
                anomalies.observe(d, nowNs, interval).ifPresent(sink);
            }
        }
        lastHist.keySet().retainAll(live);
        anomalies.retain(live);
    }

    /** Netfilter hook time summaries (--netfilter-times; the map is empty without it). */
    private void pollNetfilter(long nowNs, long interval) {
        if (!filter.isAll()) {
            return; // per-cgroup aggregates, as the latency summaries
        }
        List<NetfilterHistogram> hists = maps.netfilterHistograms().read();
        Set<NetfilterHistogram.Key> live = new HashSet<>(hists.size() * 2);
        for (NetfilterHistogram h : hists) {
            live.add(h.key());
            NetfilterHistogram d = h.minus(lastNetfilter.put(h.key(), h));
            if (d.count() > 0) {
                sink.accept(new NetfilterEvent(nowNs, interval, d));
            }
        }
        lastNetfilter.keySet().retainAll(live);
    }
}
