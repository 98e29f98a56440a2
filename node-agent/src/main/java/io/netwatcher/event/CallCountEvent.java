package io.netwatcher.event;

import java.util.Objects;

/**
 * Calls of one kernel function by one process in one cgroup during an interval
 * ({@code --count-calls}, as bcc's funccount counts them, per process and pod).
 *
 * @param timeNs     when the interval ended (CLOCK_MONOTONIC ns)
 * @param intervalNs the interval's length (since the counter was last read, or since the probes attached)
 * @param cgroupId   the cgroup of the task that was current at the call (in softirq: the interrupted one)
 * @param pid        the process (thread group id; 0 for the idle task)
 * @param comm       the process's command name
 * @param function   the kernel function, as named in --count-calls
 * @param count      calls in the interval, at least 1
 * @param total      calls by this process in this cgroup since its kernel counter was created (the first call
 *                   after the probes attached, or after the counter was deleted as idle for three intervals)
 */
public record CallCountEvent(long timeNs, long intervalNs, long cgroupId, int pid, String comm, String function,
                             long count, long total) implements Event {
    public CallCountEvent {
        Objects.requireNonNull(comm, "comm");
        Objects.requireNonNull(function, "function");
        if (function.isEmpty()) {
            throw new IllegalArgumentException("function must be named");
        }
        if (intervalNs < 0 || count < 1 || total < count) {
            throw new IllegalArgumentException("intervalNs must be >= 0, count >= 1 and total >= count: "
                    + intervalNs + ", " + count + ", " + total);
        }
    }

    @Override
    public long cookie() {
        return 0;
    }

    @Override
    public Tuple tuple() {
        return Tuple.NONE;
    }
}
