package io.netwatcher.probe;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What the probes are loaded with: rodata (sampling, caps, filters) and map sizes.
 *
 * @param timeEvery        time the layers of one packet in N, picked at its first hook (1 = every packet);
 *                         the agent's CPU budget may raise it while running
 * @param sampleEvery      of the timed packets, 1 = report every one, N = one in N, 0 = no packet events
 * @param maxEventsPerSec  cap on packet events per second (0 = none)
 * @param maxErrorsPerSec  cap on error events per second (0 = none)
 * @param sport            the socket's local port to keep (0 = any)
 * @param dport            the socket's remote port to keep (0 = any)
 * @param http             capture HTTP/1 first lines
 * @param snapshotNs       minimum time between two refreshes of one connection's counters
 * @param ringBufferBytes  ring buffer size, a power of two, at least one page
 * @param maxConnections   entries of the connection map (inserts beyond it are refused and counted)
 * @param preferHook       try this hook kind first for every boundary (empty = the default order)
 * @param cgroupRoot       the cgroup v2 mount to attach cgroup programs to (empty = found in mountinfo)
 * @param benignDropEvents report drops that are not losses as events too (they are always counted)
 */
public record ProbeConfig(int timeEvery, int sampleEvery, int maxEventsPerSec, int maxErrorsPerSec, int sport, int dport,
                          boolean http, long snapshotNs, int ringBufferBytes, int maxConnections,
                          Optional<HookKind> preferHook, Optional<Path> cgroupRoot, boolean benignDropEvents) {

    /** Without benign drop events. */
    public ProbeConfig(int timeEvery, int sampleEvery, int maxEventsPerSec, int maxErrorsPerSec, int sport, int dport,
                       boolean http, long snapshotNs, int ringBufferBytes, int maxConnections,
                       Optional<HookKind> preferHook, Optional<Path> cgroupRoot) {
        this(timeEvery, sampleEvery, maxEventsPerSec, maxErrorsPerSec, sport, dport, http, snapshotNs, ringBufferBytes,
                maxConnections, preferHook, cgroupRoot, false);
    }

    public ProbeConfig {
        if (timeEvery < 1 || timeEvery > MAX_TIME_EVERY) {
            throw new IllegalArgumentException("timeEvery must be between 1 and " + MAX_TIME_EVERY);
        }
        if (sampleEvery < 0) {
            throw new IllegalArgumentException("sampleEvery must be >= 0");
        }
        if (maxEventsPerSec < 0 || maxErrorsPerSec < 0) {
            throw new IllegalArgumentException("event caps must be >= 0");
        }
        if (sport < 0 || sport > 65535 || dport < 0 || dport > 65535) {
            throw new IllegalArgumentException("ports must be 0..65535");
        }
        if (ringBufferBytes < 4096 || Integer.bitCount(ringBufferBytes) != 1 || ringBufferBytes > (1 << 29)) {
            throw new IllegalArgumentException("ring buffer size must be a power of two between 4 KiB and 512 MiB");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("map sizes must be >= 1");
        }
        if (snapshotNs < 0) {
            throw new IllegalArgumentException("snapshotNs must be >= 0");
        }
    }

    /** The largest 1-in-N for packet timing. */
    public static final int MAX_TIME_EVERY = 1 << 20;

    /** Defaults: every packet timed and sampled, capped at 1,000 packet and 1,000 error events per second. */
    public static ProbeConfig defaults() {
        return new ProbeConfig(1, 1, 1_000, 1_000, 0, 0, false, 100_000_000L, 8 << 20, 32768,
                Optional.empty(), Optional.empty());
    }
}
