package io.netwatcher.event;

/** How a DNS query ended (C: enum nw_dns_outcome). */
public enum DnsOutcome {
    /** Its response arrived. */
    ANSWERED("NW_DNS_ANSWERED", 1, "answered"),
    /** No response within the timeout. */
    TIMED_OUT("NW_DNS_TIMED_OUT", 2, "timeout");

    private final String cName;
    private final int value;
    private final String label;

    DnsOutcome(String cName, int value, String label) {
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

    /** Name in JSON ({@code outcome}). */
    public String label() {
        return label;
    }

    /** The outcome of a kernel value; throws for a value that names none. */
    public static DnsOutcome of(int value) {
        for (DnsOutcome o : values()) {
            if (o.value == value) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown DNS outcome " + value);
    }
}
