package io.netwatcher.event;

import java.util.Objects;

/**
 * connect() calls of one cgroup to one destination in an interval, as bcc tcpconnect -c counts
 * them per (LADDR, RADDR, RPORT): every attempt, whether its handshake then succeeded or failed.
 *
 * @param timeNs     when the interval ended (CLOCK_MONOTONIC ns)
 * @param intervalNs the interval's length
 * @param cgroupId   the connecting sockets' cgroup (a pod's container, a host process's cgroup)
 * @param tuple      local address, destination address and port (the local port is 0: not part of the key)
 * @param connects   connect() calls in the interval, at least 1
 * @param total      connect() calls since the agent first counted this tuple (or since it was last idle)
 */
public record ConnectCountEvent(long timeNs, long intervalNs, long cgroupId, Tuple tuple, long connects, long total)
        implements CgroupSummary {
    public ConnectCountEvent {
        Objects.requireNonNull(tuple, "tuple");
        if (intervalNs < 0 || connects < 1 || total < connects) {
            throw new IllegalArgumentException("intervalNs must be >= 0, connects >= 1 and total >= connects: "
                    + intervalNs + ", " + connects + ", " + total);
        }
    }
}
