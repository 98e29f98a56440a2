package io.netwatcher.event;

/** The transport of a timed packet (C: IPPROTO_TCP, IPPROTO_UDP in packet events and histogram keys). */
public enum Transport {
    TCP(6, "tcp"),
    UDP(17, "udp");

    private final int value;
    private final String label;

    Transport(int value, String label) {
        this.value = value;
        this.label = label;
    }

    /** The IP protocol number. */
    public int value() {
        return value;
    }

    /** Name in JSON ({@code protocol}) and in the network.transport attribute. */
    public String label() {
        return label;
    }

    /** The transport of an IP protocol number, null for another protocol. */
    public static Transport of(int value) {
        for (Transport t : values()) {
            if (t.value == value) {
                return t;
            }
        }
        return null;
    }
}
