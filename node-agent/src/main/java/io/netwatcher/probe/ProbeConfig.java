package io.netwatcher.probe;

import io.netwatcher.event.SocketFilter;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the probes are loaded with: rodata (sampling, caps, filters) and map sizes. Built with
 * {@link #builder()} (every setting has a default), validated here.
 *
 * @param timeEvery        time the layers of one packet in N, picked at its first hook (1 = every packet);
 *                         the agent's CPU budget may raise it while running
 * @param sampleEvery      of the timed packets, 1 = report every one, N = one in N, 0 = no packet events
 * @param maxEventsPerSec  cap on packet events per second (0 = none)
 * @param maxErrorsPerSec  cap on error events per second (0 = none)
 * @param filter           the sockets to report: local and remote ports, owner uid (default all)
 * @param http             capture HTTP/1 first lines
 * @param snapshotNs       minimum time between two refreshes of one connection's counters
 * @param ringBufferBytes  ring buffer size, a power of two, at least one page
 * @param maxConnections   entries of the connection map (inserts beyond it are refused and counted)
 * @param preferHook       try this hook kind first for every boundary (empty = the default order)
 * @param cgroupRoot       the cgroup v2 mount to attach cgroup programs to (empty = found in mountinfo)
 * @param benignDropEvents report drops that are not losses as events too (they are always counted)
 * @param stateEvents      report every TCP state transition as an event (connect latency and handshake
 *                         failures are always aggregated)
 * @param icmp             load the ICMP programs (echo and error counters, icmp events)
 * @param udp              count and time UDP datagrams (counters, layer histograms, udp packet events)
 * @param dns              the DNS programs: on or off, query names, timeout
 * @param netfilterTimes   time each netfilter hook in every network namespace (off by default: it adds two
 *                         program runs per hook a packet passes)
 */
public record ProbeConfig(int timeEvery, int sampleEvery, int maxEventsPerSec, int maxErrorsPerSec,
                          SocketFilter filter, boolean http, long snapshotNs, int ringBufferBytes, int maxConnections,
                          Optional<HookKind> preferHook, Optional<Path> cgroupRoot, boolean benignDropEvents,
                          boolean stateEvents, boolean icmp, boolean udp, DnsConfig dns,
                          boolean netfilterTimes) {

    public ProbeConfig {
        Objects.requireNonNull(preferHook, "preferHook");
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(cgroupRoot, "cgroupRoot");
        Objects.requireNonNull(dns, "dns");
        if (timeEvery < 1 || timeEvery > MAX_TIME_EVERY) {
            throw new IllegalArgumentException("timeEvery must be between 1 and " + MAX_TIME_EVERY);
        }
        if (sampleEvery < 0) {
            throw new IllegalArgumentException("sampleEvery must be >= 0");
        }
        if (maxEventsPerSec < 0 || maxErrorsPerSec < 0) {
            throw new IllegalArgumentException("event caps must be >= 0");
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
        return builder().build();
    }

    /** The defaults, to be changed. */
    public static Builder builder() {
        return new Builder();
    }

    /** This configuration, to be changed. */
    public Builder toBuilder() {
        return new Builder().timeEvery(timeEvery).sampleEvery(sampleEvery).maxEventsPerSec(maxEventsPerSec)
                .maxErrorsPerSec(maxErrorsPerSec).filter(filter).http(http).snapshotNs(snapshotNs)
                .ringBufferBytes(ringBufferBytes).maxConnections(maxConnections).preferHook(preferHook.orElse(null))
                .cgroupRoot(cgroupRoot.orElse(null)).benignDropEvents(benignDropEvents)
                .stateEvents(stateEvents).icmp(icmp).udp(udp).dns(dns).netfilterTimes(netfilterTimes);
    }

    /** Settings of a {@link ProbeConfig}; {@link #build()} validates them. */
    public static final class Builder {
        private int timeEvery = 1;
        private int sampleEvery = 1;
        private int maxEventsPerSec = 1_000;
        private int maxErrorsPerSec = 1_000;
        private SocketFilter filter = SocketFilter.ALL;
        private boolean http;
        private long snapshotNs = 100_000_000L;
        private int ringBufferBytes = 8 << 20;
        private int maxConnections = 32768;
        private HookKind preferHook;
        private Path cgroupRoot;
        private boolean benignDropEvents;
        private boolean stateEvents;
        private boolean icmp = true;
        private boolean udp = true;
        private DnsConfig dns = DnsConfig.DEFAULTS;
        private boolean netfilterTimes;

        private Builder() {}

        /** Time the layers of one packet in N (default 1: every packet). */
        public Builder timeEvery(int n) {
            this.timeEvery = n;
            return this;
        }

        /** Of the timed packets, report one in N as an event (default 1; 0 = no packet events). */
        public Builder sampleEvery(int n) {
            this.sampleEvery = n;
            return this;
        }

        /** Cap on packet events per second (default 1,000; 0 = none). */
        public Builder maxEventsPerSec(int n) {
            this.maxEventsPerSec = n;
            return this;
        }

        /** Cap on error events per second (default 1,000; 0 = none). */
        public Builder maxErrorsPerSec(int n) {
            this.maxErrorsPerSec = n;
            return this;
        }

        /** Report only these sockets (default {@link SocketFilter#ALL}). */
        public Builder filter(SocketFilter filter) {
            this.filter = filter;
            return this;
        }

        /** Report only sockets with one of these local ports (the filter's remote ports and uid stay). */
        public Builder sport(Integer... ports) {
            this.filter = new SocketFilter(List.of(ports), filter.remotePorts(), filter.uid());
            return this;
        }

        /** Report only sockets with one of these remote ports (the filter's local ports and uid stay). */
        public Builder dport(Integer... ports) {
            this.filter = new SocketFilter(filter.localPorts(), List.of(ports), filter.uid());
            return this;
        }

        /** Report only sockets owned by this uid, -1 = any (the filter's ports stay). */
        public Builder uid(long uid) {
            this.filter = new SocketFilter(filter.localPorts(), filter.remotePorts(), uid);
            return this;
        }

        /** Capture HTTP/1 first lines (default off). */
        public Builder http(boolean on) {
            this.http = on;
            return this;
        }

        /** Minimum time between two refreshes of one connection's counters (default 100 ms). */
        public Builder snapshotNs(long ns) {
            this.snapshotNs = ns;
            return this;
        }

        /** Ring buffer size in bytes, a power of two (default 8 MiB). */
        public Builder ringBufferBytes(int bytes) {
            this.ringBufferBytes = bytes;
            return this;
        }

        /** Entries of the connection map (default 32,768). */
        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /** Try this hook kind first for every boundary (default null: the default order). */
        public Builder preferHook(HookKind kind) {
            this.preferHook = kind;
            return this;
        }

        /** The cgroup v2 mount for cgroup programs (default null: found in mountinfo). */
        public Builder cgroupRoot(Path root) {
            this.cgroupRoot = root;
            return this;
        }

        /** Report drops that are not losses as events too (default off; they are always counted). */
        public Builder benignDropEvents(boolean on) {
            this.benignDropEvents = on;
            return this;
        }

        /** Report every TCP state transition as an event (default off; the aggregates are always on). */
        public Builder stateEvents(boolean on) {
            this.stateEvents = on;
            return this;
        }

        /** Load the ICMP programs (default on). */
        public Builder icmp(boolean on) {
            this.icmp = on;
            return this;
        }

        /** Count and time UDP datagrams (default on). */
        public Builder udp(boolean on) {
            this.udp = on;
            return this;
        }

        /** The DNS programs' settings (default on, with names, 5 s timeout). */
        public Builder dns(DnsConfig settings) {
            this.dns = settings;
            return this;
        }

        /** Time each netfilter hook in every network namespace (default off). */
        public Builder netfilterTimes(boolean on) {
            this.netfilterTimes = on;
            return this;
        }

        public ProbeConfig build() {
            return new ProbeConfig(timeEvery, sampleEvery, maxEventsPerSec, maxErrorsPerSec, filter, http,
                    snapshotNs, ringBufferBytes, maxConnections, Optional.ofNullable(preferHook),
                    Optional.ofNullable(cgroupRoot), benignDropEvents, stateEvents, icmp, udp, dns,
                    netfilterTimes);
        }
    }
}
