package io.netwatcher.kernel;

/**
 * What a per-cgroup counter counts (C: enum nw_counter_kind, struct nw_counter_key.kind); the
 * key's {@code detail} narrows it as each constant says.
 */
public enum CounterKind {
    /** Packets lost; detail: the enum skb_drop_reason value. */
    DROP("NW_CNT_DROP", 1),
    /** Segments retransmitted; detail: enum nw_retrans_kind. */
    RETRANS("NW_CNT_RETRANS", 2),
    /** Resets; detail: enum nw_reset_dir. */
    RESET("NW_CNT_RESET", 3),
    /** Segments with a bad checksum. */
    BAD_CSUM("NW_CNT_BAD_CSUM", 4),
    /** Receive queue full; detail: the socket's IP protocol. */
    RCVQ_FULL("NW_CNT_RCVQ_FULL", 5),
    /** Socket memory limit exceeded; detail: the socket's IP protocol. */
    BUF_LIMIT("NW_CNT_BUF_LIMIT", 6),
    /** Connections established; detail: enum nw_role. */
    CONN_OPEN("NW_CNT_CONN_OPEN", 7),
    /** Established connections closed; detail: enum nw_role. */
    CONN_CLOSE("NW_CNT_CONN_CLOSE", 8),
    /** ICMP errors sent; detail: (type << 8) | code. */
    ICMP_SENT("NW_CNT_ICMP_SENT", 9),
    /** Drops that are not losses; detail: the enum skb_drop_reason value. */
    DROP_BENIGN("NW_CNT_DROP_BENIGN", 10),
    /** Client handshakes that failed (SYN_SENT -> CLOSE); detail: enum nw_handshake_fail. */
    HANDSHAKE_FAIL("NW_CNT_HANDSHAKE_FAIL", 11),
    /** UDP datagrams; detail: (enum nw_direction << 8) | IP version. */
    UDP_DATAGRAMS("NW_CNT_UDP_DATAGRAMS", 12),
    /** UDP payload bytes; detail: as {@link #UDP_DATAGRAMS}. */
    UDP_BYTES("NW_CNT_UDP_BYTES", 13);

    private static final CounterKind[] BY_VALUE = new CounterKind[16];

    static {
        for (CounterKind k : values()) {
            BY_VALUE[k.value] = k;
        }
    }

    private final String cName;
    private final int value;

    CounterKind(String cName, int value) {
        this.cName = cName;
        this.value = value;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    /** The kind of a key's kind field, or null for a value that names none. */
    public static CounterKind of(int value) {
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
    }
}
