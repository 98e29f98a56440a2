package io.netwatcher.kernel;

/**
 * The transmit boundaries, indexes of a sent segment's stamps (C: enum nw_tx_stamp). Layer i
 * (event.Layer) lasts from stamp i to stamp i + 1.
 */
public enum TxStamp {
    /** The application's data enters a TCP segment (tcp_sendmsg). */
    SEND("NW_TX_SEND", 0),
    /** The segment is handed to the device layer (dev_queue_xmit). */
    DEVQ("NW_TX_DEVQ", 1),
    /** The driver's transmit starts (after the qdisc). */
    XMIT("NW_TX_XMIT", 2),
    /** The driver's transmit returned. */
    DONE("NW_TX_DONE", 3);

    private final String cName;
    private final int value;

    TxStamp(String cName, int value) {
        this.cName = cName;
        this.value = value;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h: the index in a segment's stamps. */
    public int value() {
        return value;
    }
}
