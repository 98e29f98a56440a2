package io.netwatcher.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuBudgetTest {
    private static final long SECOND = 1_000_000_000L;
    /** Program runs per second of the simulated node. */
    private static final long RUNS = 1_000_000;

    /**
     * A window on a node whose probes cost {@code floor} of a core for every packet and
     * {@code timed} of a core more when every packet is timed.
     */
    private static CpuBudget.Window window(int every, double floor, double timed) {
        double cost = floor + timed / every;
        return new CpuBudget.Window(every, (long) (cost * SECOND), RUNS, SECOND);
    }

    /** Runs the law for a few windows; returns the last decision. */
    private static CpuBudget.Decision converge(CpuBudget b, int every, double floor, double timed) {
        CpuBudget.Decision d = new CpuBudget.Decision(every, false);
        for (int i = 0; i < 10; i++) {
            d = b.next(window(d.every(), floor, timed));
        }
        return d;
    }

    @Test
    void overTheBudgetTheFirstStepIsProportionalToTheExcess() {
        CpuBudget b = new CpuBudget(0.01, 1, 4096);
        assertEquals(6, b.next(window(1, 0.001, 0.038)).every()); // 3.9 % at 1 in 1 -> 1 in ceil(3.9 / 0.7)
    }

    @Test
    void withASmallFloorTheSamplingSettlesWhereTheCostMeetsTheBudget() {
        CpuBudget b = new CpuBudget(0.01, 1, 4096);
        CpuBudget.Decision d = converge(b, 1, 0.001, 0.05);
        double cost = 0.001 + 0.05 / d.every();
        assertTrue(cost <= 0.01, "cost " + cost + " at 1 in " + d.every());
        assertTrue(d.every() < 16, "no more packets dropped from timing than needed: 1 in " + d.every());
        assertFalse(d.exceeded());
        assertEquals(0.001 * SECOND / RUNS, b.floorNsPerRun(), 0.01, "the floor is learnt per run");
    }

    @Test
    void aFloorAboveTheBudgetStopsAtDiminishingReturnsAndSaysSo() {
        // The review's case: 1.2 % for the hooks alone, 3 % more with every packet timed, budget 1 %.
        CpuBudget b = new CpuBudget(0.01, 1, 4096);
        CpuBudget.Decision d = converge(b, 1, 0.012, 0.03);
        assertTrue(d.exceeded(), "the budget is out of reach and reported");
        assertTrue(d.every() >= 20 && d.every() <= 30, "timing costs a tenth of the floor, not 1 in 4096: 1 in "
                + d.every());
    }

    @Test
    void trafficChangesBetweenWindowsDoNotReadAsCostChanges() {
        CpuBudget b = new CpuBudget(0.01, 1, 4096);
        b.next(window(1, 0.001, 0.05));
        // Twice the traffic at 1 in 8: twice the runs and the cost, the same cost per run.
        CpuBudget.Decision d = b.next(new CpuBudget.Window(8, (long) (2 * (0.001 + 0.05 / 8) * SECOND), 2 * RUNS,
                SECOND));
        assertEquals(0.001 * SECOND / RUNS, b.floorNsPerRun(), 0.01);
        assertTrue(d.every() > 8, "twice the traffic needs sparser timing: 1 in " + d.every());
    }

    @Test
    void oneStepMovesAtMostSixteenfold() {
        assertEquals(16, new CpuBudget(0.01, 1, 4096).next(window(1, 0, 0.5)).every());
    }

    @Test
    void wellBelowTheBudgetTimesTwiceAsManyDownToTheStart() {
        CpuBudget b = new CpuBudget(0.01, 1, 4096);
        assertEquals(32, b.next(window(64, 0.001, 0.001)).every());
        assertEquals(1, b.next(window(1, 0.0, 0.0001)).every());
        assertEquals(4, new CpuBudget(0.01, 4, 64).next(window(5, 0.0, 0.001)).every());
    }

    @Test
    void withinTheBandNothingChanges() {
        assertEquals(64, new CpuBudget(0.01, 1, 4096).next(window(64, 0.005, 0.06)).every());
    }

    @Test
    void noBudgetKeepsTheConfiguredSampling() {
        CpuBudget none = new CpuBudget(0, 8, 4096);
        assertFalse(none.enabled());
        CpuBudget.Decision d = none.next(window(8, 0.5, 0.4));
        assertEquals(8, d.every());
        assertFalse(d.exceeded());
    }

    @Test
    void aWindowWithoutRunsChangesNothing() {
        assertEquals(64, new CpuBudget(0.01, 1, 4096).next(new CpuBudget.Window(64, 0, 0, SECOND)).every());
    }

    @Test
    void invalidBudgetsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(-0.1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(1.5, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(0.01, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(0.01, 8, 4));
    }
}
