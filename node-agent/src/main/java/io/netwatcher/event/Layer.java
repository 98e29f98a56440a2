package io.netwatcher.event;

import java.util.List;

/**
 * A kernel layer a packet spends time in: the time between two consecutive boundaries
 * (C: enum nw_layer). The value is the histogram's layer index and the boundary (stamp) the
 * layer starts at; {@link #TOTAL} is the first to the last boundary a packet crossed.
 */
public enum Layer {
    /** Driver hand-off to the core stack: backlog queue, GRO, softirq scheduling. */
    RX_LINK("NW_LAYER_RX_LINK", Direction.RX, 0, "link"),
    /** Core stack to transport entry: IP, netfilter, routing, socket lookup. */
    RX_IP("NW_LAYER_RX_IP", Direction.RX, 1, "ip"),
    /** Transport entry to the socket receive queue: socket backlog, TCP, reordering. */
    RX_TCP("NW_LAYER_RX_TCP", Direction.RX, 2, "tcp"),
    /** Receive queue to the application's read. */
    RX_SOCKET("NW_LAYER_RX_SOCKET", Direction.RX, 3, "socket"),
    /** The application's send to the device layer: TCP write queue, IP, netfilter. */
    TX_TCP_IP("NW_LAYER_TX_TCP_IP", Direction.TX, 0, "tcp_ip"),
    /** Device layer to the driver: qdisc queueing. */
    TX_QDISC("NW_LAYER_TX_QDISC", Direction.TX, 1, "qdisc"),
    /** The driver's transmit function. */
    TX_DRIVER("NW_LAYER_TX_DRIVER", Direction.TX, 2, "driver"),
    /** First boundary seen to the last one, either direction. */
    TOTAL("NW_LAYER_TOTAL", null, 4, "total");

    public static final List<Layer> RX = List.of(RX_LINK, RX_IP, RX_TCP, RX_SOCKET);
    public static final List<Layer> TX = List.of(TX_TCP_IP, TX_QDISC, TX_DRIVER);

    private final String cName;
    private final Direction direction;
    private final int index;
    private final String label;

    Layer(String cName, Direction direction, int index, String label) {
        this.cName = cName;
        this.direction = direction;
        this.index = index;
        this.label = label;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h: the histogram index. */
    public int value() {
        return index;
    }

    /** The direction of the layer; null for {@link #TOTAL}, which both directions have. */
    public Direction direction() {
        return direction;
    }

    /** The boundary (stamp) the layer starts at. */
    public int index() {
        return index;
    }

    /** Name in JSON ({@code layers_us}) and in the netwatcher.layer attribute. */
    public String label() {
        return label;
    }

    /**
     * The layer's name for a transport's packets: a UDP datagram's transport layer is "udp" (entry
     * to queued) and "udp_ip" (send to the device) where a TCP segment's are "tcp" and "tcp_ip".
     */
    public String label(Transport transport) {
        if (transport == Transport.UDP) {
            if (this == RX_TCP) {
                return "udp";
            }
            if (this == TX_TCP_IP) {
                return "udp_ip";
            }
        }
        return label;
    }

    /** The layers of a direction, in the order a packet crosses them ({@link #TOTAL} aside). */
    public static List<Layer> of(Direction d) {
        return d == Direction.RX ? RX : TX;
    }

    /** The layer of a histogram index in direction {@code d}: one of {@link #of(Direction)}, {@link #TOTAL}, or null. */
    public static Layer of(Direction d, int index) {
        if (index == TOTAL.index) {
            return TOTAL;
        }
        List<Layer> l = of(d);
        return index >= 0 && index < l.size() ? l.get(index) : null;
    }
}
