package io.netwatcher.event;

/** Which side opened the connection (C: enum nw_role). */
public enum Role {
    UNKNOWN("NW_ROLE_UNKNOWN", 0, "unknown"),
    CLIENT("NW_ROLE_CLIENT", 1, "client"),
    SERVER("NW_ROLE_SERVER", 2, "server");

    private final String cName;
    private final int value;
    private final String label;

    Role(String cName, int value, String label) {
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

    public String label() {
        return label;
    }

    /** The role of a kernel value; UNKNOWN for a value that names none. */
    public static Role of(int value) {
        for (Role r : values()) {
            if (r.value == value) {
                return r;
            }
        }
        return UNKNOWN;
    }
}
