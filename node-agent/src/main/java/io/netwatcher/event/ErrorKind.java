package io.netwatcher.event;

/** The error event types, with their JSON {@code type}. */
public enum ErrorKind {
    RETRANSMIT("retransmit"),
    RESET("reset"),
    DROP("drop"),
    BAD_CHECKSUM("bad_checksum"),
    RECEIVE_QUEUE_FULL("receive_queue_full"),
    BUFFER_LIMIT("buffer_limit"),
    /** A drop the kernel reports that is not a loss (names.BenignDrops); reported on request. */
    BENIGN_DROP("benign_drop");

    private final String jsonType;

    ErrorKind(String jsonType) {
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
}
