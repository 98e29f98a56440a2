package io.netwatcher.probe;

/** How a boundary is hooked, from the program's section prefix. */
public enum HookKind {
    TRACEPOINT("tracepoint", "tp_btf"),
    CGROUP_SKB("cgroup_skb", "cgroup_skb"),
    SOCKOPS("sockops", "sockops"),
    FENTRY("fentry", "fentry"),
    FEXIT("fexit", "fexit"),
    KPROBE("kprobe", "kprobe"),
    ITERATOR("iterator", "iter"),
    NETFILTER("netfilter", "netfilter");

    private final String label;
    private final String section;

    HookKind(String label, String section) {
        this.label = label;
        this.section = section;
    }

    public String label() {
        return label;
    }

    public static HookKind ofSection(String section) {
        String prefix = section.contains("/") ? section.substring(0, section.indexOf('/')) : section;
        for (HookKind k : values()) {
            if (k.section.equals(prefix)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown program section " + section);
    }

    /** The kind a user names with --prefer-hook (tracepoint, fentry, kprobe). */
    public static HookKind parse(String s) {
        for (HookKind k : values()) {
            if (k.label.equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown hook kind " + s);
    }
}
