package io.netwatcher.testing;

import java.util.HashMap;
import java.util.Map;

/** The kernel's SNMP/netstat counters of one network namespace, as `nstat -asz` prints them. */
public final class Nstat {
    private final Map<String, Long> values;

    private Nstat(Map<String, Long> values) {
        this.values = values;
    }

    public static Nstat of(TestNet.Host host) {
        Map<String, Long> m = new HashMap<>();
        for (String line : host.exec("nstat", "-asz").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && !f[0].startsWith("#")) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException ignored) {
                    // header line
                }
            }
        }
        return new Nstat(m);
    }

    public long get(String counter) {
        return values.getOrDefault(counter, 0L);
    }

    /** This reading minus an earlier one, for one counter. */
    public long since(Nstat earlier, String counter) {
        return get(counter) - earlier.get(counter);
    }
}
