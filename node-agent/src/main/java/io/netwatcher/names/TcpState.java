package io.netwatcher.names;

/**
 * TCP states as the kernel numbers them (include/net/tcp_states.h, an enum in the kernel's BTF;
 * TcpStateIT checks every constant against the running kernel's).
 */
public enum TcpState {
    ESTABLISHED("TCP_ESTABLISHED", 1),
    SYN_SENT("TCP_SYN_SENT", 2),
    SYN_RECV("TCP_SYN_RECV", 3),
    FIN_WAIT1("TCP_FIN_WAIT1", 4),
    FIN_WAIT2("TCP_FIN_WAIT2", 5),
    TIME_WAIT("TCP_TIME_WAIT", 6),
    CLOSE("TCP_CLOSE", 7),
    CLOSE_WAIT("TCP_CLOSE_WAIT", 8),
    LAST_ACK("TCP_LAST_ACK", 9),
    LISTEN("TCP_LISTEN", 10),
    CLOSING("TCP_CLOSING", 11),
    NEW_SYN_RECV("TCP_NEW_SYN_RECV", 12),
    BOUND_INACTIVE("TCP_BOUND_INACTIVE", 13);

    private static final TcpState[] BY_VALUE = new TcpState[14];

    static {
        for (TcpState s : values()) {
            BY_VALUE[s.value] = s;
        }
    }

    private final String cName;
    private final int value;

    TcpState(String cName, int value) {
        this.cName = cName;
        this.value = value;
    }

    /** The kernel's name of the state. */
    public String cName() {
        return cName;
    }

    /** The kernel's value of the state. */
    public int value() {
        return value;
    }

    /** The name of a state value, e.g. {@code ESTABLISHED}: "UNKNOWN" for 0 (none), {@code STATE_<n>} for one unnamed here. */
    public static String name(int state) {
        if (state == 0) {
            return "UNKNOWN";
        }
        TcpState s = state > 0 && state < BY_VALUE.length ? BY_VALUE[state] : null;
        return s != null ? s.name() : "STATE_" + state;
    }
}
