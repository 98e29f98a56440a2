package io.netwatcher.names;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Drops the kernel reports (kfree_skb with a reason) that are not losses: the packet did what it
 * was for, or nobody could have received it. Classified by the drop reason and the kernel
 * function that freed it (the event's {@code location}); everything else is a loss. The agent
 * resolves the table against the running kernel (reason values from its BTF, function addresses
 * from /proc/kallsyms) and writes it into the probes before they load, so the kernel counts the
 * two kinds apart. docs/events.md lists the same table.
 */
public final class BenignDrops {
    /** A drop reason (without SKB_DROP_REASON_), freed in {@code function} (null: anywhere), and why. */
    public record Rule(String reason, String function, String why) {
    }

    public static final List<Rule> RULES = List.of(
            new Rule("NO_SOCKET", "ping_rcv", "an ICMP echo reply no ping socket asked for: ping over a raw"
                    + " socket (ping as root) received its own copy"),
            new Rule("QUEUE_PURGE", null, "buffers freed when a socket is torn down (data of a connection closed"
                    + " before it was read, or never accepted); the reset it causes is counted"),
            new Rule("TCP_OLD_SEQUENCE", null, "a segment wholly before the receive window: a zero-window probe,"
                    + " a keepalive or a duplicate; acknowledged, nothing lost"),
            new Rule("TCP_OLD_DATA", null, "a duplicate of data already received (a retransmission the sender"
                    + " counts)"),
            new Rule("NOT_SPECIFIED", "ip6_mc_input", "IPv6 multicast for a group this host did not join (MLD"
                    + " reports, router solicitations)"),
            new Rule("OTHERHOST", null, "a frame for another host's address (promiscuous interface)"));

    /** One resolved entry: the reason's value and the address range [lo, hi) that frees it. */
    public record Entry(int reason, long lo, long hi) {
    }

    private BenignDrops() {}

    /**
     * The table for the running kernel, at most {@code max} entries. A rule whose reason the kernel
     * does not have is left out; so is a rule bound to a function whose address is not readable
     * (/proc/kallsyms without privilege): its drops then count as losses.
     */
    public static List<Entry> resolve(DropReasons reasons, KernelSymbols symbols, int max) {
        List<Entry> out = new ArrayList<>();
        for (Rule r : RULES) {
            OptionalInt v = reasons.value(r.reason());
            if (v.isEmpty()) {
                continue;
            }
            if (r.function() == null) {
                out.add(new Entry(v.getAsInt(), 0, -1L));
            } else {
                for (long[] range : symbols.ranges(r.function())) {
                    out.add(new Entry(v.getAsInt(), range[0], range[1]));
                }
            }
        }
        return out.size() > max ? List.copyOf(out.subList(0, max)) : List.copyOf(out);
    }

    /** Is this drop (reason value, freeing address) benign? The same test as the kernel's. */
    public static boolean isBenign(List<Entry> table, int reason, long location) {
        for (Entry e : table) {
            if (e.reason() == reason && Long.compareUnsigned(location, e.lo()) >= 0
                    && Long.compareUnsigned(location, e.hi()) < 0) {
                return true;
            }
        }
        return false;
    }
}
