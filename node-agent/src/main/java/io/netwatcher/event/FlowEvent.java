package io.netwatcher.event;

/**
 * Bytes one process sent and read on one socket during an interval, with running totals
 * (the seed {@code flow}).
 */
public record FlowEvent(long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple,
                        long intervalNs, long txBytes, long rxBytes, long txTotal, long rxTotal) implements Event {
}
