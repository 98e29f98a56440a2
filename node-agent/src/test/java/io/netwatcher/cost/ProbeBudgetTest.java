package io.netwatcher.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The budget loop over a simulated kernel whose run time grows with the packets timed. */
class ProbeBudgetTest {
    /**
     * A kernel whose probes cost {@code floor} of a core for the hooks plus {@code timed} of a
     * core divided by the sampling, counting run time only while statistics are on.
     */
    private static final class FakeKernel {
        final double floor;
        final double timed;
        final AtomicInteger every = new AtomicInteger(1);
        final AtomicInteger statsOn = new AtomicInteger();
        final AtomicLong lastRead = new AtomicLong(System.nanoTime());
        final AtomicLong runTime = new AtomicLong();
        final List<Integer> applied = new ArrayList<>();

        FakeKernel(double floor, double timed) {
            this.floor = floor;
            this.timed = timed;
        }

        final AtomicLong runs = new AtomicLong();

        /** One program run per microsecond while statistics are on. */
        synchronized ProbeBudget.RunTotals totals() {
            long now = System.nanoTime();
            long elapsed = now - lastRead.getAndSet(now);
            if (statsOn.get() > 0) {
                runTime.addAndGet((long) (elapsed * (floor + timed / every.get())));
                runs.addAndGet(elapsed / 1000);
            }
            return new ProbeBudget.RunTotals(runTime.get(), runs.get());
        }

        synchronized void apply(int e) {
            every.set(e);
            applied.add(e);
        }

        AutoCloseable on() {
            totals();
            statsOn.incrementAndGet();
            return () -> {
                totals();
                statsOn.decrementAndGet();
            };
        }
    }

    private static ProbeBudget budget(FakeKernel k, double budget) {
        return new ProbeBudget(new CpuBudget(budget, 1, 4096), k::totals, k::apply, k::on, 60_000, 50, false);
    }

    @Test
    void aBusyNodeIsBroughtUnderTheBudgetAndStatisticsAreOnOnlyWhileMeasuring() throws Exception {
        FakeKernel k = new FakeKernel(0.001, 0.05); // 5.1 % of a core with every packet timed
        try (ProbeBudget b = budget(k, 0.01)) {
            for (int i = 0; i < 6; i++) {
                b.step();
                assertEquals(0, k.statsOn.get(), "statistics switched off after each window");
            }
            assertTrue(b.lastCost() <= 0.01, "cost under the budget: " + b.lastCost());
            assertTrue(b.timeEvery() > 1 && b.timeEvery() < 64, "sampling " + b.timeEvery());
            assertEquals(k.every.get(), b.timeEvery(), "the probes got the sampling");
            assertFalse(b.exceeded());
        }
    }

    @Test
    void aQuietNodeGoesBackToTimingEveryPacket() throws Exception {
        FakeKernel k = new FakeKernel(0.0, 0.0001);
        k.every.set(256);
        try (ProbeBudget b = new ProbeBudget(new CpuBudget(0.01, 1, 4096), k::totals, k::apply, k::on,
                60_000, 50, false)) {
            b.step(); // starts at minEvery 1: nothing to relax
            assertEquals(1, b.timeEvery());
        }
    }

    @Test
    void aFloorAboveTheBudgetIsReportedAsExceededWithoutGivingUpTheHistograms() throws Exception {
        FakeKernel k = new FakeKernel(0.03, 0.05);
        try (ProbeBudget b = budget(k, 0.01)) {
            for (int i = 0; i < 8; i++) {
                b.step();
            }
            assertTrue(b.exceeded(), "exceeded: " + b.lastCost());
            assertTrue(b.timeEvery() < 100, "sampling stops where fewer timed packets save little: 1 in "
                    + b.timeEvery());
        }
    }

    @Test
    void withStatisticsAlwaysOnItMeasuresWithoutSwitching() throws Exception {
        FakeKernel k = new FakeKernel(0.0, 0.05);
        k.statsOn.set(1);
        try (ProbeBudget b = new ProbeBudget(new CpuBudget(0.01, 1, 4096), k::totals, k::apply, null,
                60_000, 50, false)) {
            b.step();
            assertTrue(b.lastCost() > 0.03, "measured " + b.lastCost());
            assertTrue(b.timeEvery() > 1);
            assertEquals(1, b.windows());
        }
    }
}
