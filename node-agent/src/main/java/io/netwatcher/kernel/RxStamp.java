package io.netwatcher.kernel;

/**
 * The receive boundaries, indexes of a received packet's stamps (C: enum nw_rx_stamp). Layer i
 * (event.Layer) lasts from stamp i to stamp i + 1.
 */
public enum RxStamp {
    /** Handed up by the driver (netif_rx, napi_gro_receive_entry). */
    DRIVER("NW_RX_DRIVER", 0),
    /** Core stack dispatch (netif_receive_skb). */
    STACK("NW_RX_STACK", 1),
    /** Transport entry after the socket lookup (cgroup_skb ingress, tcp_v4_rcv). */
    TRANSPORT("NW_RX_TRANSPORT", 2),
    /** In order in the socket receive queue (sk_data_ready). */
    QUEUED("NW_RX_QUEUED", 3),
    /** Copied to the application (recvmsg returned). */
    READ("NW_RX_READ", 4);

    private final String cName;
    private final int value;

    RxStamp(String cName, int value) {
        this.cName = cName;
        this.value = value;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h: the index in a packet's stamps. */
    public int value() {
        return value;
    }
}
