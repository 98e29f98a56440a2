package io.netwatcher.event;

import java.util.List;

/**
 * A kernel layer a packet spends time in: the time between two consecutive boundaries.
 * The index is the histogram key's layer and the boundary (stamp) it starts at.
 */
public enum Layer {
    /** Driver hand-off to the core stack: backlog queue, GRO, softirq scheduling. */
    RX_LINK(Direction.RX, 0, "link"),
    /** Core stack to transport entry: IP, netfilter, routing, socket lookup. */
    RX_IP(Direction.RX, 1, "ip"),
    /** Transport entry to the socket receive queue: socket backlog, TCP, reordering. */
    RX_TCP(Direction.RX, 2, "tcp"),
    /** Receive queue to the application's read. */
    RX_SOCKET(Direction.RX, 3, "socket"),
    /** The application's send to the device layer: TCP write queue, IP, netfilter. */
    TX_TCP_IP(Direction.TX, 0, "tcp_ip"),
    /** Device layer to the driver: qdisc queueing. */
    TX_QDISC(Direction.TX, 1, "qdisc"),
    /** The driver's transmit function. */
    TX_DRIVER(Direction.TX, 2, "driver");

    public static final List<Layer> RX = List.of(RX_LINK, RX_IP, RX_TCP, RX_SOCKET);
    public static final List<Layer> TX = List.of(TX_TCP_IP, TX_QDISC, TX_DRIVER);

    private final Direction direction;
    private final int index;
    private final String label;

    Layer(Direction direction, int index, String label) {
        this.direction = direction;
        this.index = index;
        this.label = label;
    }

    public Direction direction() {
        return direction;
    }

    public int index() {
        return index;
    }

    /** Name in JSON ({@code layers_us}) and in the netwatcher.layer attribute. */
    public String label() {
        return label;
    }

    public static List<Layer> of(Direction d) {
        return d == Direction.RX ? RX : TX;
    }

    /** The layer of a histogram key, or null for the total (or an unknown index). */
    public static Layer of(Direction d, int index) {
        List<Layer> l = of(d);
        return index >= 0 && index < l.size() ? l.get(index) : null;
    }
}
