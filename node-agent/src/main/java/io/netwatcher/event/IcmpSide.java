package io.netwatcher.event;

/** Which end of an echo exchange an ICMP event describes (C: enum nw_icmp_side). */
public enum IcmpSide {
    /** Request sent -> reply read by the local socket. */
    REQUESTER("NW_ICMP_REQUESTER", 1, "requester"),
    /** Request received -> the kernel's reply sent. */
    RESPONDER("NW_ICMP_RESPONDER", 2, "responder");

    private final String cName;
    private final int value;
    private final String label;

    IcmpSide(String cName, int value, String label) {
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

    /** Name in JSON ({@code side}). */
    public String label() {
        return label;
    }

    /** The side of a kernel value; throws for a value that names none. */
    public static IcmpSide of(int value) {
        for (IcmpSide s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown ICMP side " + value);
    }
}
