package io.netwatcher.event;

import java.util.Objects;

/**
 * One side of an ICMP or ICMPv6 echo exchange. The tuple is local first, ports 0 (the requester's
 * address is the source on the requester side, the destination on the responder side).
 * {@code latencyNs}: requester, request sent to reply read; responder, request received to reply
 * sent. {@code cpu} and the task ({@code taskPid}, {@code taskTgid}, {@code taskComm}) are those
 * running when the kernel received the request (responder) or the reply (requester): the task a
 * softirq interrupted, {@code swapper/N} (pid 0) on an idle CPU. The owning process ({@code pid},
 * {@code comm}) is the reader of the reply (requester side; 0 and "" on the responder side, where
 * the kernel answers); {@code cgroupId} is its socket's, 0 on the responder side, which is known
 * by its network namespace ({@code netns}).
 */
public record IcmpEvent(long timeNs, long cgroupId, int pid, String comm, Tuple tuple, IcmpSide side, int id,
                        int seq, long latencyNs, long netns, int cpu, int taskPid, int taskTgid, String taskComm)
        implements Event {
    public IcmpEvent {
        Objects.requireNonNull(comm, "comm");
        Objects.requireNonNull(tuple, "tuple");
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(taskComm, "taskComm");
        if (id < 0 || id > 0xffff || seq < 0 || seq > 0xffff) {
            throw new IllegalArgumentException("echo id " + id + " seq " + seq);
        }
        if (latencyNs < 0) {
            throw new IllegalArgumentException("latency " + latencyNs);
        }
    }

    /** ICMP events have no socket cookie. */
    @Override
    public long cookie() {
        return 0;
    }
}
