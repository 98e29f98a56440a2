package io.netwatcher.event;

/** Packet direction as seen from the host: received or transmitted. */
public enum Direction {
    RX("rx", "receive"),
    TX("tx", "transmit");

    private final String jsonName;
    private final String otelName;

    Direction(String jsonName, String otelName) {
        this.jsonName = jsonName;
        this.otelName = otelName;
    }

    public String jsonName() {
        return jsonName;
    }

    /** The value of the network.io.direction attribute. */
    public String otelName() {
        return otelName;
    }

    public static Direction of(int code) {
        return code == 1 ? TX : RX;
    }
}
