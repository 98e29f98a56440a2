package io.netwatcher.event;

/** Packet direction as seen from the host: received or transmitted (C: enum nw_direction). */
public enum Direction {
    RX("NW_DIR_RX", 0, "rx", "receive"),
    TX("NW_DIR_TX", 1, "tx", "transmit");

    private final String cName;
    private final int value;
    private final String jsonName;
    private final String otelName;

    Direction(String cName, int value, String jsonName, String otelName) {
        this.cName = cName;
        this.value = value;
        this.jsonName = jsonName;
        this.otelName = otelName;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    public String jsonName() {
        return jsonName;
    }

    /** The value of the network.io.direction attribute. */
    public String otelName() {
        return otelName;
    }

    /** The direction of a kernel value: TX, else RX. */
    public static Direction of(int value) {
        return value == TX.value ? TX : RX;
    }
}
