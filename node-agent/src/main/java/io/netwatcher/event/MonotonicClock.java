package io.netwatcher.event;

import java.time.Instant;

/**
 * Maps the kernel's CLOCK_MONOTONIC timestamps (bpf_ktime_get_ns; System.nanoTime() reads the
 * same clock on Linux) to wall-clock time. The offset is measured as the closest of several
 * paired readings and re-measured by {@link #resync()} so wall-clock steps (NTP) are followed.
 */
public final class MonotonicClock {
    private volatile long offsetNs;

    public MonotonicClock() {
        resync();
    }

    /** Fixed offset, for tests: epochNs = monoNs + offsetNs. */
    public MonotonicClock(long offsetNs) {
        this.offsetNs = offsetNs;
    }

    /** Re-measures the offset between the two clocks. */
    public void resync() {
        long best = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < 5; i++) {
            long a = System.nanoTime();
            Instant now = Instant.now();
            long b = System.nanoTime();
            if (b - a < best) {
                best = b - a;
                offset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - (a + (b - a) / 2);
            }
        }
        offsetNs = offset;
    }

    public long offsetNs() {
        return offsetNs;
    }

    public long nowMonoNs() {
        return System.nanoTime();
    }

    public long toEpochNs(long monoNs) {
        return monoNs + offsetNs;
    }

    public Instant toInstant(long monoNs) {
        long e = toEpochNs(monoNs);
        return Instant.ofEpochSecond(Math.floorDiv(e, 1_000_000_000L), Math.floorMod(e, 1_000_000_000L));
    }
}
