package io.netwatcher.cost;

/**
 * How the agent keeps its cost on the node low.
 *
 * @param cpuBudget     the probes' allowed CPU as a fraction of one core (0.01 = 1 %); 0 = no budget,
 *                      packet timing stays at the configured sampling
 * @param maxTimeEvery  the sparsest packet timing the budget may choose (one packet in N)
 * @param periodMs      how often the probes' cost is measured
 * @param windowMs      how long each measurement counts run time
 * @param statsAlwaysOn BPF run-time statistics are on for the whole run (--bpf-stats): measure
 *                      without switching them
 * @param nice          nice value of the agent's threads (0 = leave them as they are)
 */
public record CostConfig(double cpuBudget, int maxTimeEvery, long periodMs, long windowMs, boolean statsAlwaysOn,
                         int nice) {
    public CostConfig {
        if (!(cpuBudget >= 0) || cpuBudget > 1) {
            throw new IllegalArgumentException("cpuBudget must be in [0, 1]: " + cpuBudget);
        }
        if (maxTimeEvery < 1) {
            throw new IllegalArgumentException("maxTimeEvery must be >= 1");
        }
        if (windowMs <= 0 || periodMs < windowMs) {
            throw new IllegalArgumentException("need 0 < windowMs <= periodMs");
        }
        if (nice < 0 || nice > 19) {
            throw new IllegalArgumentException("nice must be 0..19");
        }
    }

    /** Defaults: 1 % of one core, down to one packet in 4096, measured for 1 s every 10 s; nice 10. */
    public static CostConfig defaults() {
        return new CostConfig(0.01, 4096, 10_000, 1_000, false, 10);
    }

    /** No budget and no priority change (tests that need every packet timed). */
    public static CostConfig none() {
        return new CostConfig(0, 4096, 10_000, 1_000, false, 0);
    }
}
