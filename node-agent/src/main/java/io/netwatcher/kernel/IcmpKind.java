package io.netwatcher.kernel;

/** What an ICMP counter counts (C: enum nw_icmp_kind, struct nw_icmp_key.kind). */
public enum IcmpKind {
    /** An echo request left a local socket; counted by the socket's cgroup. */
    ECHO_REQUEST_SENT("NW_ICMP_ECHO_REQUEST_SENT", 1, "echo_request", "sent"),
    /** An echo request arrived at a device; counted by its network namespace. */
    ECHO_REQUEST_RECEIVED("NW_ICMP_ECHO_REQUEST_RECEIVED", 2, "echo_request", "received"),
    /** The kernel's echo reply left; counted by its network namespace. */
    ECHO_REPLY_SENT("NW_ICMP_ECHO_REPLY_SENT", 3, "echo_reply", "sent"),
    /** An echo reply was read by a local socket; counted by the socket's cgroup. */
    ECHO_REPLY_RECEIVED("NW_ICMP_ECHO_REPLY_RECEIVED", 4, "echo_reply", "received"),
    /** An ICMP error left a local socket (type, code). */
    ERROR_SENT("NW_ICMP_ERROR_SENT", 5, "error", "sent"),
    /** An ICMP error arrived at a device (type, code). */
    ERROR_RECEIVED("NW_ICMP_ERROR_RECEIVED", 6, "error", "received");

    private static final IcmpKind[] BY_VALUE = new IcmpKind[8];

    static {
        for (IcmpKind k : values()) {
            BY_VALUE[k.value] = k;
        }
    }

    private final String cName;
    private final int value;
    private final String message;
    private final String direction;

    IcmpKind(String cName, int value, String message, String direction) {
        this.cName = cName;
        this.value = value;
        this.message = message;
        this.direction = direction;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    /** The message: {@code echo_request}, {@code echo_reply} or {@code error}. */
    public String message() {
        return message;
    }

    /** {@code sent} or {@code received}. */
    public String direction() {
        return direction;
    }

    public boolean isError() {
        return this == ERROR_SENT || this == ERROR_RECEIVED;
    }

    /** The kind of a key's kind field, or null for a value that names none. */
    public static IcmpKind of(int value) {
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
    }
}
