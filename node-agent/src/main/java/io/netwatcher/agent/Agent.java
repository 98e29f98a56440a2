package io.netwatcher.agent;

import io.netwatcher.bpf.BpfMap;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.RingBuffer;
import io.netwatcher.cost.CostConfig;
import io.netwatcher.cost.CpuBudget;
import io.netwatcher.cost.Priority;
import io.netwatcher.cost.ProbeBudget;
import io.netwatcher.event.ConnStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import io.netwatcher.event.ConnEvent;
import io.netwatcher.event.Event;
import io.netwatcher.event.EventDecoder;
import io.netwatcher.netns.Netns;
import io.netwatcher.probe.Attachment;
import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.probe.ProbeSet;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's core: loads and attaches the probes, reads the ring buffer on one thread,
 * polls the kernel's maps every interval on another, and hands every event to the listeners
 * (one at a time: listeners need not be thread-safe among themselves).
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** Seconds between malloc_trim calls (each takes well under a millisecond). */
    private static final int TRIM_SECONDS = 10;

    private final ProbeConfig probeConfig;
    private final CostConfig costConfig;
    private final long intervalNs;
    private final MonotonicClock clock;
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();
    private final EventDecoder decoder = new EventDecoder();
    private final AgentStats stats = new AgentStats();
    private final Object dispatchLock = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private ProbeSet probes;
    private RingBuffer ring;
    private Poller poller;
    private ConnectionRefresher refresher;
    private ProbeBudget budget;
    private Thread reader;
    private ScheduledExecutorService scheduler;
    private volatile boolean running;
    private java.util.function.Predicate<Event> filter = e -> true;
    private long lastLost;
    private long lastDecodeErrorLog;

    public Agent(ProbeConfig probeConfig, CostConfig costConfig, long intervalNs, MonotonicClock clock) {
        if (intervalNs <= 0) {
            throw new IllegalArgumentException("interval must be > 0");
        }
        this.probeConfig = probeConfig;
        this.costConfig = java.util.Objects.requireNonNull(costConfig, "costConfig");
        this.intervalNs = intervalNs;
        this.clock = clock;
    }

    public void addListener(EventListener l) {
        listeners.add(l);
    }

    /**
     * Events the listeners see: those the filter admits (e.g. pods of the namespaces in scope).
     * Set before {@link #start()}.
     */
    public void setFilter(java.util.function.Predicate<Event> filter) {
        this.filter = java.util.Objects.requireNonNull(filter);
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
        RingBuffer r = ring;
        return r == null ? 0 : r.wakeups();
    }

    /** Times the ring-buffer reader woke on its own timer. */
    public long ringTimerWakeups() {
        RingBuffer r = ring;
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
                if (a.attached()) {
                    LOG.info("boundary {}", a);
                } else {
                    LOG.warn("boundary {}", a);
                }
            }
            ring = new RingBuffer(probes.map("events"));
            refresher = new ConnectionRefresher(probes, Netns.host());
            refresher.refreshAll();
            poller = new Poller(probes, refresher, this::dispatch, clock.nowMonoNs());
        } catch (RuntimeException e) {
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
        ProbeSet p = probes;
        budget = new ProbeBudget(new CpuBudget(costConfig.cpuBudget(), probeConfig.timeEvery(),
                Math.max(probeConfig.timeEvery(), costConfig.maxTimeEvery())),
                () -> p.runStats().values().stream().mapToLong(ProbeSet.RunStats::runTimeNs).sum(),
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
        io.netwatcher.bpf.Libc.trimNativeHeap();
        scheduler.scheduleAtFixedRate(clock::resync, 60, 60, TimeUnit.SECONDS);
        scheduler.scheduleAtFixedRate(io.netwatcher.bpf.Libc::trimNativeHeap, TRIM_SECONDS, TRIM_SECONDS,
                TimeUnit.SECONDS);
    }

    private void readLoop() {
        RingBuffer.Handler handler = (buf, off, len) -> {
            stats.recordsRead.incrementAndGet();
            Event e;
            try {
                e = decoder.decode(buf, off, len);
            } catch (RuntimeException ex) {
                stats.decodeErrors.incrementAndGet();
                long now = System.nanoTime();
                if (now - lastDecodeErrorLog > 10_000_000_000L) {
                    lastDecodeErrorLog = now;
                    LOG.error("undecodable ring buffer record ({} so far): {}", stats.decodeErrors(), ex.toString());
                }
                return;
            }
            dispatch(e);
        };
        while (running) {
            try {
                if (ring.poll(100, handler) > 0) {
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
        if (!filter.test(e)) {
            stats.filtered.incrementAndGet();
            return;
        }
        synchronized (dispatchLock) {
            for (EventListener l : listeners) {
                try {
                    l.onEvent(e);
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
        } catch (RuntimeException e) {
            LOG.error("periodic map read failed", e);
        }
    }

    /** Reads the maps now (the scheduler does this every interval). */
    public void pollNow() {
        if (!running) {
            return;
        }
        poller.poll(clock.nowMonoNs());
        stats.kernel = KernelMaps.stats(probes.map("stats"));
        long lost = stats.ringBufferLost();
        if (lost > lastLost) {
            LOG.warn("{} events lost in the kernel since start (ring buffer full): raise --ring-buffer-mb or"
                    + " sample less (--sample)", lost);
            lastLost = lost;
        }
        flushListeners();
    }

    /** Refreshes connection counters from the live sockets now (they are also refreshed every interval). */
    public void refreshConnections() {
        refresher.refresh();
    }

    /** The kernel's current record of a connection (from the conns map), if tracked. */
    public Optional<ConnStats> connection(long cookie) {
        BpfMap conns = probes.map("conns");
        byte[] key = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(cookie).array();
        byte[] value = new byte[conns.lookupSize()];
        if (!conns.lookup(key, value)) {
            return Optional.empty();
        }
        return Optional.of(decoder.stats(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()), 0));
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

    /** Stops reading, drains what the kernel already wrote, detaches every probe. */
    @Override
    public synchronized void close() {
        running = false;
        stopped.countDown();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (budget != null) {
            budget.close();
        }
        if (reader != null) {
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ring != null) {
            ring.close();
            ring = null;
        }
        if (refresher != null) {
            refresher.close();
            refresher = null;
        }
        if (probes != null) {
            probes.close();
            probes = null;
        }
    }
}
