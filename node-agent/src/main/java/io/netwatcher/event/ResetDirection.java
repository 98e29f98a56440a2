package io.netwatcher.event;

/** Whether a reset was sent or received (C: enum nw_reset_dir): the detail of a reset event. */
public enum ResetDirection {
    SENT("NW_RESET_SENT", 0, "sent"),
    RECEIVED("NW_RESET_RECEIVED", 1, "received");

    private final String cName;
    private final int value;
    private final String label;

    ResetDirection(String cName, int value, String label) {
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

    /** Name in JSON ({@code direction}) and in the netwatcher.reset.direction attribute. */
    public String label() {
        return label;
    }

    /** The direction of a kernel value: SENT, else RECEIVED. */
    public static ResetDirection of(int value) {
        return value == SENT.value ? SENT : RECEIVED;
    }
}
