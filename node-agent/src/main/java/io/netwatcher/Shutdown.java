package io.netwatcher;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the steps of a shutdown one after another, each on its own thread within its own time
 * bound and all within an overall budget: a step that does not finish (an OTLP collector that does
 * not answer, stdout that nobody reads) is logged and skipped, so the whole shutdown ends well
 * inside the pod's termination grace period.
 */
final class Shutdown {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    private final long deadlineNs;
    private int skipped;

    /** @param budgetMs the time all steps together may take */
    Shutdown(long budgetMs) {
        this.deadlineNs = System.nanoTime() + budgetMs * 1_000_000L;
    }

    /**
     * Runs {@code step}, waiting at most {@code timeoutMs} (less when the budget is nearly spent);
     * true when it finished in time.
     */
    boolean step(String name, long timeoutMs, Runnable step) {
        long left = Math.max(0, (deadlineNs - System.nanoTime()) / 1_000_000);
        long wait = Math.min(timeoutMs, left);
        Thread t = new Thread(() -> {
            try {
                step.run();
            } catch (RuntimeException e) {
                LOG.warn("shutdown: {} failed: {}", name, e.toString());
            }
        }, "nw-stop-" + name.replace(' ', '-'));
        t.setDaemon(true);
        t.start();
        try {
            t.join(Math.max(1, wait));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            skipped++;
            LOG.warn("shutdown: {} did not finish within {} ms; skipped", name, wait);
            return false;
        }
        return true;
    }

    /** Steps that did not finish in time. */
    int skipped() {
        return skipped;
    }
}
