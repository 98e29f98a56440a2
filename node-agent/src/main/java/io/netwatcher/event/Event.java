package io.netwatcher.event;

/** An event the agent reports. Times are CLOCK_MONOTONIC nanoseconds, as the kernel stamps them. */
public sealed interface Event permits PacketEvent, ConnEvent, ErrorEvent, FlowEvent, StateEvent, IcmpEvent, DnsEvent,
        CallCountEvent, CgroupSummary {
    /** When it happened (CLOCK_MONOTONIC ns). */
    long timeNs();

    /** The socket cookie, 0 when there is no socket. */
    long cookie();

    /** The cgroup v2 id of the socket or process, 0 when unknown. */
    long cgroupId();

    /** The owning process, 0 when unknown. */
    int pid();

    /** The owning process's command name, "" when unknown. */
    String comm();

    Tuple tuple();
}
