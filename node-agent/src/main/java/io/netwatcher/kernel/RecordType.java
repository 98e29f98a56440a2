package io.netwatcher.kernel;

import io.netwatcher.event.ErrorKind;

/** The type of a ring-buffer record, its first {@code __u16} (C: enum nw_event_type). */
public enum RecordType {
    /** struct nw_packet_event */
    PACKET("NW_EV_PACKET", 1, null),
    /** struct nw_conn_event */
    CONN("NW_EV_CONN", 2, null),
    /** struct nw_error_event, and every type below */
    RETRANS("NW_EV_RETRANS", 3, ErrorKind.RETRANSMIT),
    RESET("NW_EV_RESET", 4, ErrorKind.RESET),
    DROP("NW_EV_DROP", 5, ErrorKind.DROP),
    BAD_CSUM("NW_EV_BAD_CSUM", 6, ErrorKind.BAD_CHECKSUM),
    RCVQ_FULL("NW_EV_RCVQ_FULL", 7, ErrorKind.RECEIVE_QUEUE_FULL),
    BUF_LIMIT("NW_EV_BUF_LIMIT", 8, ErrorKind.BUFFER_LIMIT),
    BENIGN_DROP("NW_EV_BENIGN_DROP", 9, ErrorKind.BENIGN_DROP),
    /** struct nw_state_event */
    STATE("NW_EV_STATE", 10, null),
    /** struct nw_icmp_event */
    ICMP("NW_EV_ICMP", 11, null),
    /** struct nw_dns_event */
    DNS("NW_EV_DNS", 12, null);

    private static final RecordType[] BY_VALUE = new RecordType[16];

    static {
        for (RecordType t : values()) {
            BY_VALUE[t.value] = t;
        }
    }

    private final String cName;
    private final int value;
    private final ErrorKind errorKind;

    RecordType(String cName, int value, ErrorKind errorKind) {
        this.cName = cName;
        this.value = value;
        this.errorKind = errorKind;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    /** The error event a record of this type is (struct nw_error_event), null for packet, connection, state, ICMP and DNS records. */
    public ErrorKind errorKind() {
        return errorKind;
    }

    /** The type of a record's type field; throws for a value that names none. */
    public static RecordType of(int value) {
        RecordType t = value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
        if (t == null) {
            throw new IllegalArgumentException("unknown record type " + value);
        }
        return t;
    }
}
