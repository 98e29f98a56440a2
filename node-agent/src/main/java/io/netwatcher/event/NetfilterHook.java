package io.netwatcher.event;

/** A netfilter hook of the IPv4 and IPv6 families (enum nf_inet_hooks), named as nftables names it. */
public enum NetfilterHook {
    PRE_ROUTING(0, "prerouting"),
    LOCAL_IN(1, "input"),
    FORWARD(2, "forward"),
    LOCAL_OUT(3, "output"),
    POST_ROUTING(4, "postrouting");

    private final int value;
    private final String label;

    NetfilterHook(int value, String label) {
        this.value = value;
        this.label = label;
    }

    /** The kernel's hook number (NF_INET_PRE_ROUTING = 0 ...). */
    public int value() {
        return value;
    }

    /** The nftables hook name: prerouting, input, forward, output, postrouting. */
    public String label() {
        return label;
    }

    /** The hook of a kernel hook number; null for one the IPv4/IPv6 families do not have. */
    public static NetfilterHook of(int value) {
        for (NetfilterHook h : values()) {
            if (h.value == value) {
                return h;
            }
        }
        return null;
    }
}
