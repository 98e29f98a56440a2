package io.netwatcher.cost;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the probes under their CPU budget while they run. Every {@code periodMs} the kernel counts
 * the probes' run time for {@code windowMs} (BPF_ENABLE_STATS is switched on only for that window:
 * it costs two clock reads per program run), and {@link CpuBudget} turns the measured cost into
 * the sampling of packet timing, which is written to the probes at once. The last measurement and
 * the sampling in force are exported as self-metrics.
 */
public final class ProbeBudget implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeBudget.class);

    /** The probes' cumulative run time and number of runs, summed over their programs. */
    public record RunTotals(long runTimeNs, long runs) {
    }

    /** Switches the kernel's BPF run-time statistics on until the returned handle is closed. */
    @FunctionalInterface
    public interface StatsSwitch {
        AutoCloseable on() throws Exception;
    }

    private final CpuBudget budget;
    private final Supplier<RunTotals> totals;
    private final IntConsumer apply;
    private final StatsSwitch stats;
    private final long windowMs;
    private final ScheduledExecutorService scheduler;
    private volatile int every;
    private volatile double lastCost = Double.NaN;
    private volatile boolean exceeded;
    private volatile String unavailable;
    private long windows;

    /**
     * @param totals    the probes' cumulative run time and runs, summed over their programs
     * @param apply     sets the sampling of packet timing in the probes
     * @param stats     switches run-time counting on; null when it is always on (--bpf-stats)
     */
    public ProbeBudget(CpuBudget budget, Supplier<RunTotals> totals, IntConsumer apply, StatsSwitch stats,
                       long periodMs, long windowMs) {
        this(budget, totals, apply, stats, periodMs, windowMs, budget.enabled());
    }

    /** With {@code scheduled} false nothing runs until {@link #step()} is called (tests). */
    ProbeBudget(CpuBudget budget, Supplier<RunTotals> totals, IntConsumer apply, StatsSwitch stats,
                long periodMs, long windowMs, boolean scheduled) {
        if (windowMs <= 0 || periodMs < windowMs) {
            throw new IllegalArgumentException("need 0 < window <= period: " + windowMs + ", " + periodMs);
        }
        this.budget = budget;
        this.totals = totals;
        this.apply = apply;
        this.stats = stats;
        this.windowMs = windowMs;
        this.every = budget.minEvery();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nw-budget");
            t.setDaemon(true);
            return t;
        });
        if (scheduled) {
            scheduler.scheduleWithFixedDelay(this::stepSafely, Math.min(2000, periodMs), periodMs - windowMs,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** One packet in this many is timed now. */
    public int timeEvery() {
        return every;
    }

    /** The probes' run time per second of the last measurement, as a fraction of one core (NaN before). */
    public double lastCost() {
        return lastCost;
    }

    /** True while the probes cost more than the budget even at the sparsest sampling. */
    public boolean exceeded() {
        return exceeded;
    }

    /** The budget as a fraction of one core (0 = none). */
    public double budget() {
        return budget.budget();
    }

    /** Measurements taken so far. */
    public synchronized long windows() {
        return windows;
    }

    private void stepSafely() {
        try {
            step();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (unavailable == null) {
                unavailable = e.getMessage();
                LOG.warn("cannot measure the probes' CPU cost (BPF_ENABLE_STATS needs CAP_SYS_ADMIN): {}; packet"
                        + " timing stays at 1 in {}", e.getMessage(), every);
            }
        }
    }

    /** Measures one window and applies the budget's answer. */
    synchronized void step() throws Exception {
        CpuBudget.Window w;
        try (AutoCloseable on = stats == null ? () -> { } : stats.on()) {
            long t0 = System.nanoTime();
            RunTotals r0 = totals.get();
            Thread.sleep(windowMs);
            RunTotals r1 = totals.get();
            long t1 = System.nanoTime();
            w = new CpuBudget.Window(every, Math.max(0, r1.runTimeNs() - r0.runTimeNs()),
                    Math.max(0, r1.runs() - r0.runs()), Math.max(1, t1 - t0));
        }
        windows++;
        double cost = w.cost();
        lastCost = cost;
        CpuBudget.Decision d = budget.next(w);
        if (d.exceeded() && !exceeded) {
            LOG.warn("the probes cost {}% of a core, over the budget of {}%: with 1 packet in {} timed, what remains"
                    + " is hook dispatch and connection tracking (about {} ns per program run), which timing fewer"
                    + " packets does not reduce", pct(cost), pct(budget.budget()), d.every(),
                    String.format("%.0f", budget.floorNsPerRun()));
        }
        exceeded = d.exceeded();
        if (d.every() != every) {
            LOG.info("probes cost {}% of a core (budget {}%): timing 1 packet in {} (was 1 in {})", pct(cost),
                    pct(budget.budget()), d.every(), every);
            apply.accept(d.every());
            every = d.every();
        }
    }

    private static String pct(double fraction) {
        return String.format("%.2f", fraction * 100);
    }

    /** Stops measuring and waits up to a second for a step in progress (it reads the probes). */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(1000, TimeUnit.MILLISECONDS)) {
                LOG.warn("the CPU budget step did not end within 1 s of the stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
