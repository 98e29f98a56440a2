package io.netwatcher.names;

/**
 * IP protocol numbers the agent names (IPPROTO_*: an enum in the kernel's BTF, except ICMPv6,
 * a #define in uapi linux/in6.h; TcpStateIT checks the others against the running kernel's).
 */
public enum IpProtocol {
    ICMP("IPPROTO_ICMP", 1, "icmp"),
    TCP("IPPROTO_TCP", 6, "tcp"),
    UDP("IPPROTO_UDP", 17, "udp"),
    ICMPV6("IPPROTO_ICMPV6", 58, "icmpv6");

    private final String cName;
    private final int value;
    private final String label;

    IpProtocol(String cName, int value, String label) {
        this.cName = cName;
        this.value = value;
        this.label = label;
    }

    /** The kernel's name of the protocol. */
    public String cName() {
        return cName;
    }

    /** The protocol number. */
    public int value() {
        return value;
    }

    /** Name in JSON ({@code protocol}) and in the network.transport attribute. */
    public String label() {
        return label;
    }

    /** The name of a protocol number: its label, "unknown" for 0, else the number. */
    public static String label(int value) {
        for (IpProtocol p : values()) {
            if (p.value == value) {
                return p.label;
            }
        }
        return value == 0 ? "unknown" : Integer.toString(value);
    }
}
