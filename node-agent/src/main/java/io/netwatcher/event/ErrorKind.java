package io.netwatcher.event;

/** The error event types, with their JSON {@code type}. */
public enum ErrorKind {
    RETRANSMIT(Layouts.EV_RETRANS, "retransmit"),
    RESET(Layouts.EV_RESET, "reset"),
    DROP(Layouts.EV_DROP, "drop"),
    BAD_CHECKSUM(Layouts.EV_BAD_CSUM, "bad_checksum"),
    RECEIVE_QUEUE_FULL(Layouts.EV_RCVQ_FULL, "receive_queue_full"),
    BUFFER_LIMIT(Layouts.EV_BUF_LIMIT, "buffer_limit"),
    /** A drop the kernel reports that is not a loss (see {@link BenignDrops}); reported on request. */
    BENIGN_DROP(Layouts.EV_BENIGN_DROP, "benign_drop");

    private final int code;
    private final String jsonType;

    ErrorKind(int code, String jsonType) {
        this.code = code;
        this.jsonType = jsonType;
    }

    public String jsonType() {
        return jsonType;
    }

    /**
     * Packet-level events (drops, bad checksums) carry the packet's own endpoints, sender first;
     * the others carry their socket's, local first.
     */
    public boolean senderFirst() {
        return this == DROP || this == BENIGN_DROP || this == BAD_CHECKSUM;
    }

    public static ErrorKind of(int code) {
        for (ErrorKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown error event type " + code);
    }

    /** Retransmit kinds (enum nw_retrans_kind). */
    public static String retransmitKind(int detail) {
        return switch (detail) {
            case 1 -> "fast";
            case 2 -> "timeout";
            case 3 -> "synack";
            case 4 -> "probe";
            case 5 -> "syn";
            default -> "unknown";
        };
    }
}
