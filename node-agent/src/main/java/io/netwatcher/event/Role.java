package io.netwatcher.event;

/** Which side opened the connection. */
public enum Role {
    UNKNOWN("unknown"),
    CLIENT("client"),
    SERVER("server");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Role of(int code) {
        return code == 1 ? CLIENT : code == 2 ? SERVER : UNKNOWN;
    }
}
