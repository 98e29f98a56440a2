package io.netwatcher.cost;

/**
 * The control law of the probes' CPU budget: given what the probes cost at the current sampling
 * (1 packet timed in {@code every}), the next sampling. Above the budget, fewer packets are timed,
 * in proportion to the excess (the timed part of the cost falls as 1/every), aiming below the
 * budget; well below it, twice as many, down to {@code minEvery}. What the probes cost beyond the
 * timed packets (dispatch of every hook, connection tracking) does not fall with sampling: at
 * {@code maxEvery} the budget is reported as exceeded.
 *
 * @param budget   the probes' allowed CPU, as a fraction of one core (0.01 = 1 %); 0 = no budget
 * @param minEvery the sampling without pressure (1 = every packet timed)
 * @param maxEvery the sparsest sampling the budget may choose
 */
public record CpuBudget(double budget, int minEvery, int maxEvery) {
    /** Above the budget, aim at this share of it, so normal variation does not cross it again. */
    static final double AIM = 0.7;
    /** Below this share of the budget, time more packets again. */
    static final double RELAX = 0.35;
    /** At most this factor per step, up or down: one noisy window cannot swing the sampling far. */
    static final int MAX_STEP = 16;

    public CpuBudget {
        if (!(budget >= 0) || budget > 1) {
            throw new IllegalArgumentException("budget must be a fraction of one core in [0, 1]: " + budget);
        }
        if (minEvery < 1 || maxEvery < minEvery) {
            throw new IllegalArgumentException("need 1 <= minEvery <= maxEvery: " + minEvery + ", " + maxEvery);
        }
    }

    /** Whether a budget is held at all (else the sampling stays at {@code minEvery}). */
    public boolean enabled() {
        return budget > 0;
    }

    /**
     * The sampling to use next.
     *
     * @param every the current sampling (one packet timed in every)
     * @param cost  what the probes cost while it was in force, as a fraction of one core
     */
    public int next(int every, double cost) {
        if (!enabled() || Double.isNaN(cost) || cost < 0) {
            return clamp(every);
        }
        if (cost > budget) {
            double wanted = Math.ceil(every * cost / (AIM * budget) - 1e-9);
            return clamp((long) Math.min(wanted, (double) every * MAX_STEP));
        }
        if (cost < RELAX * budget && every > minEvery) {
            return clamp(every / 2);
        }
        return clamp(every);
    }

    /** True when the probes cost more than the budget although sampling cannot go sparser. */
    public boolean exceeded(int every, double cost) {
        return enabled() && every >= maxEvery && cost > budget;
    }

    private int clamp(long every) {
        return (int) Math.max(minEvery, Math.min(maxEvery, every));
    }
}
