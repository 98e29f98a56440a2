package io.netwatcher.cost;

/**
 * The control law of the probes' CPU budget: from what the probes cost in a measurement window
 * at the current sampling (one packet timed in {@code every}), the next sampling.
 *
 * <p>The probes' cost per program run is modelled as {@code floor + timed / every}: every hook
 * runs for every packet (dispatch, the checks that let an unpicked packet go, the connection and
 * error hooks), and only the timed packets do the rest. Two windows at different samplings give
 * both terms (normalised per run, so a change of traffic between the windows does not read as a
 * change of cost). Above the budget the sampling goes to where the model meets 70 % of it; when
 * the floor alone is above that, sampling cannot reach the budget: it goes only as far as the
 * timing costs a tenth of the floor (beyond that, fewer timed packets buy almost nothing) and the
 * budget is reported as exceeded. Well below the budget, twice as many packets are timed per
 * window, down to {@code minEvery}. Before a model exists the first step is proportional to the
 * excess, which also gives the second point.
 */
public final class CpuBudget {
    /** Above the budget, aim at this share of it, so normal variation does not cross it again. */
    static final double AIM = 0.7;
    /** Below this share of the budget, time more packets again. */
    static final double RELAX = 0.35;
    /** When the floor is above the aim: time packets until their cost is this share of the floor. */
    static final double FLOOR_SHARE = 0.1;
    /** At most this factor per step up: one noisy window cannot swing the sampling far. */
    static final int MAX_STEP = 16;
    /** Windows with fewer program runs say too little about the cost per run to fit the model. */
    static final long MIN_RUNS = 1000;

    private final double budget;
    private final int minEvery;
    private final int maxEvery;
    private Window last;
    private double floorNs = Double.NaN;
    private double timedNs = Double.NaN;

    /** What the probes did in one measurement window. */
    public record Window(int every, long runTimeNs, long runs, long wallNs) {
        public Window {
            if (every < 1 || runTimeNs < 0 || runs < 0 || wallNs <= 0) {
                throw new IllegalArgumentException("bad window " + every + ", " + runTimeNs + ", " + runs + ", "
                        + wallNs);
            }
        }

        /** Run time per wall-clock time: the fraction of one core. */
        public double cost() {
            return (double) runTimeNs / wallNs;
        }

        double perRun() {
            return (double) runTimeNs / runs;
        }

        double runsPerNs() {
            return (double) runs / wallNs;
        }
    }

    /** The next sampling and whether the budget is out of reach. */
    public record Decision(int every, boolean exceeded) {
    }

    /**
     * @param budget   the probes' allowed CPU, as a fraction of one core (0.01 = 1 %); 0 = no budget
     * @param minEvery the sampling without pressure (1 = every packet timed)
     * @param maxEvery the sparsest sampling the budget may choose
     */
    public CpuBudget(double budget, int minEvery, int maxEvery) {
        if (!(budget >= 0) || budget > 1) {
            throw new IllegalArgumentException("budget must be a fraction of one core in [0, 1]: " + budget);
        }
        if (minEvery < 1 || maxEvery < minEvery) {
            throw new IllegalArgumentException("need 1 <= minEvery <= maxEvery: " + minEvery + ", " + maxEvery);
        }
        this.budget = budget;
        this.minEvery = minEvery;
        this.maxEvery = maxEvery;
    }

    public double budget() {
        return budget;
    }

    public int minEvery() {
        return minEvery;
    }

    /** Whether a budget is held at all (else the sampling stays at {@code minEvery}). */
    public boolean enabled() {
        return budget > 0;
    }

    /** The model's cost per program run of a packet that is not timed, ns (NaN before two samplings). */
    public double floorNsPerRun() {
        return floorNs;
    }

    /** The sampling to use after window {@code w}. */
    public Decision next(Window w) {
        if (!enabled() || w.runs() == 0) {
            return new Decision(enabled() ? clamp(w.every()) : minEvery, false);
        }
        learn(w);
        last = w;
        double cost = w.cost();
        if (cost <= budget) {
            if (cost < RELAX * budget && w.every() > minEvery) {
                return new Decision(clamp(w.every() / 2), false);
            }
            return new Decision(clamp(w.every()), false);
        }
        long wanted;
        boolean unreachable = false;
        if (Double.isNaN(floorNs)) {
            wanted = (long) Math.ceil(w.every() * cost / (AIM * budget) - 1e-9);
        } else {
            double allowedNs = AIM * budget / w.runsPerNs(); // per run
            if (allowedNs > floorNs && timedNs / (allowedNs - floorNs) <= maxEvery) {
                wanted = (long) Math.ceil(timedNs / (allowedNs - floorNs) - 1e-9);
            } else {
                unreachable = true;
                wanted = (long) Math.ceil(timedNs / (FLOOR_SHARE * Math.max(floorNs, 1e-3)) - 1e-9);
            }
        }
        wanted = Math.min(wanted, (long) w.every() * MAX_STEP);
        int next = clamp(wanted);
        return new Decision(next, unreachable || next >= maxEvery);
    }

    /** Fits floor + timed / every from this window and the last one, if their samplings differ. */
    private void learn(Window w) {
        Window a = last;
        if (a == null || a.every() == w.every() || a.runs() < MIN_RUNS || w.runs() < MIN_RUNS) {
            return;
        }
        double x1 = 1.0 / a.every();
        double x2 = 1.0 / w.every();
        double timed = (a.perRun() - w.perRun()) / (x1 - x2);
        double floor = w.perRun() - timed * x2;
        if (!(timed >= 0) || !(floor >= 0)) {
            return; // noise (traffic mix changed between the windows): keep what was known
        }
        if (Double.isNaN(floorNs)) {
            floorNs = floor;
            timedNs = timed;
        } else {
            floorNs = (floorNs + floor) / 2;
            timedNs = (timedNs + timed) / 2;
        }
    }

    private int clamp(long every) {
        return (int) Math.max(minEvery, Math.min(maxEvery, every));
    }
}
