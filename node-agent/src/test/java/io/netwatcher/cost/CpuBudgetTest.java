package io.netwatcher.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuBudgetTest {
    private final CpuBudget budget = new CpuBudget(0.01, 1, 4096);

    @Test
    void overTheBudgetTimesFewerPacketsInProportionAimingBelowIt() {
        // 3 % of a core at 1 in 1: the timed part falls as 1/every, aim at 70 % of 1 %.
        assertEquals(5, budget.next(1, 0.03));
        assertEquals(40, budget.next(8, 0.035));
    }

    @Test
    void oneStepMovesAtMostSixteenfold() {
        assertEquals(16, budget.next(1, 0.5));
        assertEquals(4096, budget.next(1024, 0.5));
    }

    @Test
    void wellBelowTheBudgetTimesTwiceAsManyDownToTheStart() {
        assertEquals(32, budget.next(64, 0.002));
        assertEquals(1, budget.next(1, 0.0001));
        assertEquals(4, new CpuBudget(0.01, 4, 64).next(5, 0.001));
    }

    @Test
    void withinTheBandNothingChanges() {
        assertEquals(64, budget.next(64, 0.006));
        assertEquals(64, budget.next(64, 0.01));
    }

    @Test
    void atTheSparsestSamplingTheBudgetIsReportedExceeded() {
        assertEquals(4096, budget.next(4096, 0.05));
        assertTrue(budget.exceeded(4096, 0.05));
        assertFalse(budget.exceeded(4096, 0.005));
        assertFalse(budget.exceeded(64, 0.05));
    }

    @Test
    void noBudgetKeepsTheConfiguredSampling() {
        CpuBudget none = new CpuBudget(0, 8, 4096);
        assertFalse(none.enabled());
        assertEquals(8, none.next(8, 0.9));
        assertFalse(none.exceeded(4096, 0.9));
    }

    @Test
    void unknownCostChangesNothing() {
        assertEquals(64, budget.next(64, Double.NaN));
    }

    @Test
    void invalidBudgetsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(-0.1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(1.5, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(0.01, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new CpuBudget(0.01, 8, 4));
    }
}
