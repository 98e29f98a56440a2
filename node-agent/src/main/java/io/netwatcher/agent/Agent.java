package io.netwatcher.agent;

import io.netwatcher.anomaly.AnomalyConfig;
import io.netwatcher.anomaly.LatencyAnomalies;
import io.netwatcher.bpf.BpfClosedException;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.Libc;
import io.netwatcher.calls.CallCounter;
import io.netwatcher.calls.CallsConfig;
import io.netwatcher.cost.CostConfig;
import io.netwatcher.cost.CpuBudget;
import io.netwatcher.cost.Priority;
import io.netwatcher.cost.ProbeBudget;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.ConnStats;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventListener;
import io.netwatcher.event.MonotonicClock;
import io.netwatcher.event.Who;
import io.netwatcher.identity.IdentityResolver;
import io.netwatcher.kernel.EventRing;
import io.netwatcher.kernel.KernelMaps;
import io.netwatcher.netns.Netns;
import io.netwatcher.probe.Attachment;
import io.netwatcher.probe.HookKind;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.probe.ProbeSet;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's core: loads and attaches the probes, reads the ring buffer on one thread,
 * polls the kernel's maps every interval on another, resolves who each event belongs to (once,
 * dropping those out of the namespace scope) and hands it to the listeners (one at a time:
 * listeners need not be thread-safe among themselves).
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** The longest {@link #close()} waits for the threads that use the probes before freeing them. */
    static final long CLOSE_BOUND_MS = 4000;
    /** Seconds between malloc_trim calls (each takes well under a millisecond). */
    private static final int TRIM_SECONDS = 10;
    /** Milliseconds between two searches for network namespaces to link the netfilter programs in. */
    static final long NETFILTER_SYNC_MS = 2000;

    private final ProbeConfig probeConfig;
    private final CostConfig costConfig;
    private final long intervalNs;
    private final MonotonicClock clock;
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();
    private final AgentStats stats = new AgentStats();
    private final Object dispatchLock = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private ProbeSet probes;
    private EventRing ring;
    /** Guards reads of the ring's positions from other threads against its unmapping. */
    private final Object ringLock = new Object();
    private boolean ringMapped;
    private Poller poller;
    private ConnectionRefresher refresher;
    private NetfilterNamespaces netfilter;
    private ProbeBudget budget;
    private Thread reader;
    private ScheduledExecutorService scheduler;
    private volatile boolean running;
    private volatile IdentityResolver identity = IdentityResolver.standalone(null);
    private volatile LatencyAnomalies anomalies = new LatencyAnomalies(AnomalyConfig.defaults());
    private CallsConfig callsConfig = CallsConfig.NONE;
    /** Kernel function call counts; null when none are asked for. */
    private volatile CallCounter calls;
    /** Set when {@link #close()} begins: no more map reads are started. */
    private volatile boolean closing;
    private volatile boolean detached;
    private long lastLost;
    private long lastDecodeErrorLog;

    public Agent(ProbeConfig probeConfig, CostConfig costConfig, long intervalNs, MonotonicClock clock) {
        if (intervalNs <= 0) {
            throw new IllegalArgumentException("interval must be > 0");
        }
        this.probeConfig = probeConfig;
        this.costConfig = Objects.requireNonNull(costConfig, "costConfig");
        this.intervalNs = intervalNs;
        this.clock = clock;
    }

    public void addListener(EventListener l) {
        listeners.add(l);
    }

    /**
     * Who events belong to, and which are in the namespace scope (the listeners see only those):
     * by default the cgroup id only, every event in scope.
     */
    public void setIdentity(IdentityResolver identity) {
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    public IdentityResolver identity() {
        return identity;
    }

    /** How latency anomalies are detected (default: on, with the command line's defaults); before {@link #start()}. */
    public synchronized void setAnomalies(AnomalyConfig config) {
        if (probes != null) {
            throw new IllegalStateException("already started");
        }
        this.anomalies = new LatencyAnomalies(config);
    }

    /** Which kernel functions to count calls of (default none: their probes are not loaded); before {@link #start()}. */
    public synchronized void setCallCounting(CallsConfig config) {
        if (probes != null) {
            throw new IllegalStateException("already started");
        }
        this.callsConfig = Objects.requireNonNull(config, "config");
    }

    /** The call counter (--count-calls), empty when no calls are asked for. */
    public Optional<CallCounter> calls() {
        return Optional.ofNullable(calls);
    }

    /** The latency anomaly detector (its series and evictions). */
    public LatencyAnomalies anomalies() {
        return anomalies;
    }

    public MonotonicClock clock() {
        return clock;
    }

    public AgentStats stats() {
        return stats;
    }

    public ProbeSet probes() {
        return probes;
    }

    /** The CPU budget of the probes (the sampling of packet timing it holds, the cost it measured). */
    public ProbeBudget budget() {
        return budget;
    }

    /** Times the kernel woke the ring-buffer reader (ring past its fill mark). */
    public long ringWakeups() {
        EventRing r = ring;
        return r == null ? 0 : r.wakeups();
    }

    /** Times the ring-buffer reader woke on its own timer. */
    public long ringTimerWakeups() {
        EventRing r = ring;
        return r == null ? 0 : r.timeouts();
    }

    /** Loads and attaches the probes and starts reading. */
    public synchronized void start() throws IOException {
        if (probes != null) {
            throw new IllegalStateException("already started");
        }
        probes = ProbeSet.open(probeConfig);
        try {
            for (Attachment a : probes.attachments()) {
                if (a.ok()) { // attached, or not needed: nothing to warn about
                    LOG.info("boundary {}", a);
                } else {
                    LOG.warn("boundary {}", a);
                }
            }
            if (callsConfig.enabled()) {
                calls = openCalls();
            }
            ring = probes.maps().openEventRing();
            synchronized (ringLock) {
                ringMapped = true;
            }
            refresher = new ConnectionRefresher(probes, Netns.host());
            refresher.refreshAll();
            if (probes.netfilterLinks().isPresent()) {
                netfilter = new NetfilterNamespaces(probes.netfilterLinks().get(), Netns.host());
                LOG.info("netfilter hook times: linked in {} network namespaces", netfilter.sync().size());
            }
            poller = new Poller(probes.maps(), refresher, this::dispatch, clock.nowMonoNs(),
                    probeConfig.filter(), anomalies);
        } catch (RuntimeException e) {
            if (calls != null) {
                calls.close();
                calls = null;
            }
            if (netfilter != null) {
                netfilter.close();
                netfilter = null;
            }
            probes.close();
            probes = null;
            throw e;
        }
        running = true;
        reader = new Thread(this::readLoop, "nw-ringbuf");
        reader.setDaemon(true);
        reader.start();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nw-poll");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, intervalNs / 1_000_000);
        scheduler.scheduleAtFixedRate(this::pollSafely, ms, ms, TimeUnit.MILLISECONDS);
        if (netfilter != null) {
            scheduler.scheduleWithFixedDelay(this::syncNetfilterSafely, NETFILTER_SYNC_MS, NETFILTER_SYNC_MS,
                    TimeUnit.MILLISECONDS);
        }
        ProbeSet p = probes;
        budget = new ProbeBudget(new CpuBudget(costConfig.cpuBudget(), probeConfig.timeEvery(),
                Math.max(probeConfig.timeEvery(), costConfig.maxTimeEvery())),
                () -> {
                    long t = 0;
                    long n = 0;
                    for (ProbeSet.RunStats r : p.runStats().values()) {
                        t += r.runTimeNs();
                        n += r.runCount();
                    }
                    return new ProbeBudget.RunTotals(t, n);
                },
                p::setTimeEvery, costConfig.statsAlwaysOn() ? null : () -> {
                    int fd = BpfObject.enableStats();
                    return () -> BpfObject.closeFd(fd);
                }, costConfig.periodMs(), costConfig.windowMs());
        if (costConfig.nice() > 0) {
            Priority.lowerTo(costConfig.nice());
        }
        // Follow wall-clock steps (NTP) in the mapping of kernel timestamps to wall time, and give
        // freed native memory back: libbpf's BTF parsing at load leaves the C heap large, and the
        // JIT compiler's arenas (tens of MiB while it compiles) stay in the C heap until trimmed.
        Libc.trimNativeHeap();
        scheduler.scheduleAtFixedRate(clock::resync, 60, 60, TimeUnit.SECONDS);
        scheduler.scheduleAtFixedRate(Libc::trimNativeHeap, TRIM_SECONDS, TRIM_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Call counting: what it counts is logged, and what it cannot count is an error line naming the
     * option and the reason; the rest of the agent runs either way (as an unavailable boundary does).
     */
    private CallCounter openCalls() {
        CallCounter c;
        try {
            c = CallCounter.open(callsConfig, probes.hooks(),
                    probeConfig.preferHook().filter(k -> k == HookKind.FENTRY).isPresent(), clock.nowMonoNs());
        } catch (IOException | RuntimeException e) {
            LOG.error("call counting failed to start (--count-calls {}): {}; running without call counts",
                    callsConfig.option(), e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst()
                            .orElse(""));
            return null;
        }
        c.summary().ifPresent(LOG::info);
        c.problems().forEach(LOG::error);
        return c;
    }

    private void readLoop() {
        EventRing.Reader reader = new EventRing.Reader() {
            @Override
            public void onEvent(Event e) {
                stats.recordsRead.incrementAndGet();
                dispatch(e);
            }

            @Override
            public void onUndecodable(RuntimeException ex) {
                stats.recordsRead.incrementAndGet();
                stats.decodeErrors.incrementAndGet();
                long now = System.nanoTime();
                if (now - lastDecodeErrorLog > 10_000_000_000L) {
                    lastDecodeErrorLog = now;
                    LOG.error("undecodable ring buffer record ({} so far): {}", stats.decodeErrors(), ex.toString());
                }
            }
        };
        while (running) {
            try {
                if (ring.poll(100, reader) > 0) {
                    flushListeners();
                }
            } catch (RuntimeException ex) {
                LOG.error("ring buffer reader failed", ex);
                sleepQuietly();
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private void dispatch(Event e) {
        if (e instanceof ConnEvent c && c.kind() == ConnEvent.Kind.CLOSE && poller != null) {
            poller.connectionClosed(c);
        }
        Who who;
        try {
            who = identity.resolve(e);
        } catch (RuntimeException ex) {
            stats.listenerErrors.incrementAndGet();
            LOG.warn("cannot tell who {} belongs to: {}", e.getClass().getSimpleName(), ex.toString());
            who = identity.unresolved(e);
        }
        if (who == null) {
            stats.filtered.incrementAndGet();
            return;
        }
        synchronized (dispatchLock) {
            for (EventListener l : listeners) {
                try {
                    l.onEvent(e, who);
                } catch (RuntimeException ex) {
                    stats.listenerErrors.incrementAndGet();
                    LOG.warn("listener {} failed on {}: {}", l.getClass().getSimpleName(), e.getClass().getSimpleName(),
                            ex.toString());
                }
            }
        }
    }

    private void flushListeners() {
        synchronized (dispatchLock) {
            for (EventListener l : listeners) {
                try {
                    l.flush();
                } catch (RuntimeException ex) {
                    stats.listenerErrors.incrementAndGet();
                }
            }
        }
    }

    private void pollSafely() {
        try {
            pollNow();
        } catch (BpfClosedException e) {
            LOG.debug("map read after the probes closed: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("periodic map read failed", e);
        }
    }

    private void syncNetfilterSafely() {
        try {
            syncNetfilterNamespaces();
        } catch (RuntimeException e) {
            LOG.error("netfilter namespace sync failed", e);
        }
    }

    /**
     * Links the netfilter hook-time programs in the network namespaces that appeared and unlinks
     * those gone now (done every {@value #NETFILTER_SYNC_MS} ms); returns the inodes of the
     * namespaces linked, empty when netfilter hook times are off.
     */
    public Set<Long> syncNetfilterNamespaces() {
        NetfilterNamespaces n = netfilter;
        return n == null || closing ? Set.of() : n.sync();
    }

    /** Reads the maps now (the scheduler does this every interval). */
    public void pollNow() {
        if (!running) {
            return;
        }
        poll();
    }

    /**
     * The last read of the maps when the agent stops: after {@link #stop()} (which ends the
     * periodic reads), before {@link #close()}. Reports the last interval's connection updates,
     * flows and latency summaries and brings the kernel statistics up to date. Does nothing once
     * closing.
     */
    public void finalPoll() {
        if (closing || poller == null) {
            return;
        }
        poll();
    }

    private void poll() {
        poller.poll(clock.nowMonoNs());
        CallCounter c = calls;
        if (c != null) {
            c.poll(clock.nowMonoNs()).forEach(this::dispatch);
        }
        stats.kernel = probes.maps().stats().read();
        long lost = stats.ringBufferLost();
        if (lost > lastLost) {
            LOG.warn("{} events lost in the kernel since start (ring buffer full): raise --ring-buffer-mb or"
                    + " sample less (--sample)", lost);
            lastLost = lost;
        }
        flushListeners();
    }

    /** Bytes the kernel wrote to the ring buffer that the reader has not consumed yet (0 when not running). */
    public long ringBacklogBytes() {
        synchronized (ringLock) {
            return ringMapped ? ring.pending() : 0;
        }
    }

    /**
     * Refreshes the counters of the tracked connections from the live sockets now (they are also
     * refreshed every interval).
     */
    public void refreshConnections() {
        refresher.refresh(probes.maps().connections().snapshot().namespaces());
    }

    /** The kernel's current record of a connection (from the conns map), if tracked. */
    public Optional<ConnStats> connection(long cookie) {
        return probes.maps().connections().lookup(cookie);
    }

    /** The views of the probes' maps (while running). */
    public KernelMaps maps() {
        return probes.maps();
    }

    /** Asks the agent to stop; {@link #awaitStop} returns. */
    public void stop() {
        running = false;
        stopped.countDown();
    }

    public boolean isRunning() {
        return running;
    }

    /** Blocks until {@link #stop()} or the timeout (ms, 0 = forever). */
    public void awaitStop(long timeoutMs) throws InterruptedException {
        if (timeoutMs <= 0) {
            stopped.await();
        } else {
            stopped.await(timeoutMs, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Stops reading and polling, waits for the threads that use the probes (the poll, the CPU
     * budget, the ring-buffer reader; within {@value #CLOSE_BOUND_MS} ms in all), then detaches
     * and frees every probe. A map read still running then (or started later, e.g. by a scrape)
     * keeps the probes until it returns, within the same bound, or fails with
     * {@link BpfClosedException}: it never touches freed memory.
     */
    @Override
    public synchronized void close() {
        closing = true;
        running = false;
        stopped.countDown();
        long deadline = System.nanoTime() + CLOSE_BOUND_MS * 1_000_000L;
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                if (!scheduler.awaitTermination(Math.min(1000, left(deadline)), TimeUnit.MILLISECONDS)) {
                    LOG.warn("the map poll did not end within 1 s of the stop");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (budget != null) {
            budget.close();
        }
        if (reader != null) {
            try {
                reader.join(Math.max(1, Math.min(2000, left(deadline))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ring != null) {
            synchronized (ringLock) {
                ringMapped = false;
            }
            if (reader != null && reader.isAlive()) {
                // Blocked in a listener (stdout nobody reads): unmapping under it would crash the
                // process; the mapping goes when the process exits.
                LOG.warn("ring buffer reader still blocked after stop; its mapping is left to the process exit");
            } else {
                ring.close();
                ring = null;
            }
        }
        if (refresher != null) {
            refresher.close();
            refresher = null;
        }
        if (calls != null) {
            calls.close(Math.max(200, left(deadline)));
        }
        if (netfilter != null) {
            netfilter.close(); // the links themselves close with the probes
        }
        if (probes != null && !detached) {
            detached = probes.close(Math.max(200, left(deadline)));
            if (!detached) {
                LOG.warn("the probes were still in use {} ms after the stop; they are detached when the process"
                        + " exits", CLOSE_BOUND_MS);
            }
            // kept: a late user gets BpfClosedException, not a NullPointerException
        } else {
            detached = true; // nothing attached
        }
    }

    private static long left(long deadlineNs) {
        return Math.max(0, (deadlineNs - System.nanoTime()) / 1_000_000);
    }

    /** True once {@link #close()} detached and freed the probes. */
    public boolean detached() {
        return detached;
    }
}
