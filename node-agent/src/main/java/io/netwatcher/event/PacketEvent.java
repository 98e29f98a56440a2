package io.netwatcher.event;

import java.util.Arrays;

/**
 * A sampled TCP segment or UDP datagram and the CLOCK_MONOTONIC time at each boundary it crossed
 * ({@code stamps}, 0 where a boundary was not seen). Layer i lasts from stamp i to stamp i+1. A
 * datagram has no sequence or acknowledgement number (0).
 */
public record PacketEvent(long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple,
                          Direction direction, long seq, long ack, long len, long[] stamps, String http,
                          Transport transport)
        implements Event {
    /** Boundary stamps of a packet (NW_MAX_STAMPS): RX has five boundaries, TX four. */
    public static final int STAMPS = 5;

    /** A TCP segment. */
    public PacketEvent(long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple, Direction direction,
                       long seq, long ack, long len, long[] stamps, String http) {
        this(timeNs, cookie, cgroupId, pid, comm, tuple, direction, seq, ack, len, stamps, http, Transport.TCP);
    }

    public PacketEvent {
        if (transport == null) {
            throw new IllegalArgumentException("transport must be set");
        }
        if (stamps.length != STAMPS) {
            throw new IllegalArgumentException("stamps must have " + STAMPS + " entries");
        }
    }

    /** Nanoseconds spent in {@code layer}, or -1 when one of its boundaries was not seen. */
    public long layerNs(Layer layer) {
        if (layer.direction() != direction) {
            return -1;
        }
        long a = stamps[layer.index()];
        long b = stamps[layer.index() + 1];
        return a != 0 && b != 0 && b >= a ? b - a : -1;
    }

    /** First boundary seen (0 if none). */
    public long firstStampNs() {
        for (long s : stamps) {
            if (s != 0) {
                return s;
            }
        }
        return 0;
    }

    /** Last boundary seen (0 if none). */
    public long lastStampNs() {
        for (int i = stamps.length - 1; i >= 0; i--) {
            if (stamps[i] != 0) {
                return stamps[i];
            }
        }
        return 0;
    }

    /** From the first to the last boundary seen, ns. */
    public long totalNs() {
        long first = firstStampNs();
        long last = lastStampNs();
        return first != 0 && last > first ? last - first : 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PacketEvent p && timeNs == p.timeNs && cookie == p.cookie && seq == p.seq
                && direction == p.direction && transport == p.transport && Arrays.equals(stamps, p.stamps);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(timeNs) * 31 + Long.hashCode(cookie) * 17 + (int) seq;
    }

    @Override
    public String toString() {
        return "PacketEvent[" + transport.label() + " " + direction + " " + tuple.src() + " -> " + tuple.dst() + " seq=" + seq + " len=" + len
                + " stamps=" + Arrays.toString(stamps) + "]";
    }
}
