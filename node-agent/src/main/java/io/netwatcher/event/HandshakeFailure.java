package io.netwatcher.event;

/**
 * Why a client's TCP handshake failed, SYN_SENT -> CLOSE (C: enum nw_handshake_fail), from the
 * socket's error when it closed: the detail of a handshake failure counter and a state event.
 */
public enum HandshakeFailure {
    /** A RST answered the SYN: nothing listens on the port (ECONNREFUSED). */
    REFUSED("NW_HS_REFUSED", 1, "refused"),
    /** The SYN retries ran out unanswered (ETIMEDOUT). */
    TIMED_OUT("NW_HS_TIMED_OUT", 2, "timed_out"),
    /** Anything else: the application closed the socket, an ICMP error, ... */
    OTHER("NW_HS_OTHER", 3, "other");

    private final String cName;
    private final int value;
    private final String label;

    HandshakeFailure(String cName, int value, String label) {
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

    /** Name in JSON ({@code handshake_failure}) and in the netwatcher.handshake.failure attribute. */
    public String label() {
        return label;
    }

    /** The failure of a kernel value, null for 0 (no failure); OTHER for a value this agent does not name. */
    public static HandshakeFailure of(int value) {
        if (value == 0) {
            return null;
        }
        for (HandshakeFailure f : values()) {
            if (f.value == value) {
                return f;
            }
        }
        return OTHER;
    }
}
