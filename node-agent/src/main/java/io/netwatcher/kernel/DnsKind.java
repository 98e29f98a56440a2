package io.netwatcher.kernel;

/** What a DNS counter counts (C: enum nw_dns_kind, struct nw_dns_key.kind). */
public enum DnsKind {
    /** A query left a client socket for port 53. */
    QUERY("NW_DNS_QUERY", 1),
    /** The response to a query in flight arrived (with its response code). */
    RESPONSE("NW_DNS_RESPONSE", 2),
    /** A query had no response within the timeout. */
    TIMEOUT("NW_DNS_TIMEOUT", 3),
    /** A response matched no query in flight (late, or to a query sent before the agent started). */
    UNMATCHED("NW_DNS_UNMATCHED", 4);

    private static final DnsKind[] BY_VALUE = new DnsKind[8];

    static {
        for (DnsKind k : values()) {
            BY_VALUE[k.value] = k;
        }
    }

    private final String cName;
    private final int value;

    DnsKind(String cName, int value) {
        this.cName = cName;
        this.value = value;
    }

    /** The constant's name in bpf/netwatcher.h. */
    public String cName() {
        return cName;
    }

    /** The constant's value in bpf/netwatcher.h. */
    public int value() {
        return value;
    }

    /** The kind of a key's kind field, or null for a value that names none. */
    public static DnsKind of(int value) {
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : null;
    }
}
