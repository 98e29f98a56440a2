package io.netwatcher.names;

import io.netwatcher.btf.Btf;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Names of the kernel's drop reasons, read from the running kernel's BTF
 * ({@code enum skb_drop_reason}), so they are right for whatever kernel runs the agent.
 * Names lose the {@code SKB_DROP_REASON_} prefix, e.g. {@code NETFILTER_DROP}.
 */
public final class DropReasons {
    private static final String PREFIX = "SKB_DROP_REASON_";
    private final Map<Integer, String> names;

    public DropReasons(Map<Integer, String> names) {
        this.names = Map.copyOf(names);
    }

    public static DropReasons fromBtf(Btf btf) {
        Map<Integer, String> m = new HashMap<>();
        if (btf.find("skb_drop_reason", Btf.KIND_ENUM).isPresent()) {
            btf.enumValues("skb_drop_reason").forEach((name, value) -> {
                String n = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
                m.putIfAbsent(value.intValue(), n);
            });
        }
        return new DropReasons(m);
    }

    /** The reason's name, or {@code REASON_<value>} for one this kernel does not name. */
    public String name(int value) {
        String n = names.get(value);
        return n != null ? n : "REASON_" + value;
    }

    /** The value of a reason named without its prefix (e.g. {@code QUEUE_PURGE}), if this kernel has it. */
    public OptionalInt value(String name) {
        for (Map.Entry<Integer, String> e : names.entrySet()) {
            if (e.getValue().equals(name)) {
                return OptionalInt.of(e.getKey());
            }
        }
        return OptionalInt.empty();
    }

    public int size() {
        return names.size();
    }
}
