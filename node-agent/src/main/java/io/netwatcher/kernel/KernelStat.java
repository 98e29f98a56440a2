package io.netwatcher.kernel;

/**
 * The probes' own statistics, indexes of the per-CPU {@code stats} array (C: enum nw_stat).
 * Each is exported as a self-metric (export.SelfMetrics) and named in the stop summary.
 */
public enum KernelStat {
    /** bpf_ringbuf_reserve failed: a record lost. */
    RINGBUF_LOST("NW_STAT_RINGBUF_LOST", 0),
    /** Sampled packet events over the per-second cap. */
    SAMPLE_CAPPED("NW_STAT_SAMPLE_CAPPED", 1),
    /** Error events over the per-second cap. */
    ERR_CAPPED("NW_STAT_ERR_CAPPED", 2),
    /** Socket layer not timed: the per-socket RX FIFO was full. */
    RX_UNTRACKED("NW_STAT_RX_UNTRACKED", 3),
    /** TX segment not timed: the per-socket TX FIFO was full. */
    TX_UNTRACKED("NW_STAT_TX_UNTRACKED", 4),
    /** A connection did not fit in the conns map. */
    CONN_FULL("NW_STAT_CONN_FULL", 5),
    /** A histogram did not fit in the hists map. */
    HIST_FULL("NW_STAT_HIST_FULL", 6),
    /** Records submitted with a reader wake-up (the ring past its fill mark). */
    RB_WAKEUP("NW_STAT_RB_WAKEUP", 8),
    /** Received packets picked for timing at their first hook. */
    RX_PICKED("NW_STAT_RX_PICKED", 9),
    /** Sent segments picked for timing at their first hook. */
    TX_PICKED("NW_STAT_TX_PICKED", 10),
    /** Device-table slots freed unfinished (dropped, sent by another CPU, segmented). */
    TX_STALE("NW_STAT_TX_STALE", 11),
    /** A counter did not fit in the counters map: an event counted nowhere. */
    COUNTERS_FULL("NW_STAT_COUNTERS_FULL", 12),
    /** A connect count did not fit in the connect_counts map: a connect() counted nowhere. */
    CONNECTS_FULL("NW_STAT_CONNECTS_FULL", 13),
    /** Netfilter: a hook's last program found no stamp of its packet (nested, preempted or moved packet). */
    NF_UNMATCHED("NW_STAT_NF_UNMATCHED", 14),
    /** A received segment with only bytes the socket had received before: not timed past transport. */
    RX_DUPLICATE("NW_STAT_RX_DUPLICATE", 15);

    private final String cName;
    private final int value;

    KernelStat(String cName, int value) {
        this.cName = cName;
        this.value = value;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h: the index in the stats array. */
    public int value() {
        return value;
    }
}
