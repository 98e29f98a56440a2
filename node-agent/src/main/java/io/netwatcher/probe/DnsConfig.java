package io.netwatcher.probe;

/**
 * The DNS programs' settings.
 *
 * @param enabled   load the DNS programs (counters, latency histograms, dns events)
 * @param names     copy query names into dns events (names may be sensitive; off: the kernel does not copy them)
 * @param timeoutNs a query with no response after this long is counted as a timeout
 */
public record DnsConfig(boolean enabled, boolean names, long timeoutNs) {
    /** The default timeout, 5 s: glibc's resolver waits 5 s per try (resolv.conf {@code timeout:5}). */
    public static final long DEFAULT_TIMEOUT_NS = 5_000_000_000L;
    /** On, with names, a 5 s timeout. */
    public static final DnsConfig DEFAULTS = new DnsConfig(true, true, DEFAULT_TIMEOUT_NS);

    public DnsConfig {
        if (timeoutNs < 1_000_000L || timeoutNs > 3_600_000_000_000L) {
            throw new IllegalArgumentException("DNS timeout must be between 1 ms and 1 h: " + timeoutNs + " ns");
        }
    }
}
