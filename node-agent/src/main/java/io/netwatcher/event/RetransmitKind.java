package io.netwatcher.event;

/** Why a segment was retransmitted (C: enum nw_retrans_kind): the detail of a retransmit event. */
public enum RetransmitKind {
    /** In Recovery: duplicate ACKs, SACK or RACK. */
    FAST("NW_RETRANS_FAST", 1, "fast"),
    /** In Loss: the retransmission timer fired. */
    TIMEOUT("NW_RETRANS_TIMEOUT", 2, "timeout"),
    /** A SYN-ACK retransmitted by a listener. */
    SYNACK("NW_RETRANS_SYNACK", 3, "synack"),
    /** A tail loss probe or another retransmit in Open/Disorder. */
    PROBE("NW_RETRANS_PROBE", 4, "probe"),
    /** A SYN retransmitted by a connecting client. */
    SYN("NW_RETRANS_SYN", 5, "syn");

    private final String cName;
    private final int value;
    private final String label;

    RetransmitKind(String cName, int value, String label) {
        this.cName = cName;
        this.value = value;
        this.label = label;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    /** Name in JSON ({@code kind}) and in the netwatcher.retransmit.kind attribute. */
    public String label() {
        return label;
    }

    /** The label of a kernel value, "unknown" for one that names no kind. */
    public static String label(int value) {
        for (RetransmitKind k : values()) {
            if (k.value == value) {
                return k.label;
            }
        }
        return "unknown";
    }
}
