package io.netwatcher.kernel;

import io.netwatcher.event.ConnEvent;

/** What a connection record reports (C: enum nw_conn_kind, struct nw_conn_event.event). */
public enum ConnKind {
    OPEN("NW_CONN_OPEN", 1, ConnEvent.Kind.OPEN),
    CLOSE("NW_CONN_CLOSE", 2, ConnEvent.Kind.CLOSE);

    private final String cName;
    private final int value;
    private final ConnEvent.Kind kind;

    ConnKind(String cName, int value, ConnEvent.Kind kind) {
        this.cName = cName;
        this.value = value;
        this.kind = kind;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    /** The connection event's kind. */
    public ConnEvent.Kind kind() {
        return kind;
    }

    /** The kind of a record's event field: OPEN, else CLOSE. */
    public static ConnKind of(int value) {
        return value == OPEN.value ? OPEN : CLOSE;
    }
}
