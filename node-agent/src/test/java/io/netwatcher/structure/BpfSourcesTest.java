package io.netwatcher.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.kernel.CgroupHistogramMap;
import io.netwatcher.kernel.ConnectCountMap;
import io.netwatcher.kernel.ConnectionMap;
import io.netwatcher.kernel.ControlMap;
import io.netwatcher.kernel.CounterMap;
import io.netwatcher.kernel.EventRing;
import io.netwatcher.kernel.GoneConnections;
import io.netwatcher.kernel.HistogramMap;
import io.netwatcher.kernel.ListenerMap;
import io.netwatcher.kernel.StatsMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The BPF sources: no helper or macro that nothing uses (the build cannot tell: clang does not warn
 * about unused inline functions), and every map of maps.bpf.h either has its typed view in
 * io.netwatcher.kernel (the agent reads or writes it) or is named here as shared by the probes only.
 */
class BpfSourcesTest {
    private static final Pattern FUNCTION = Pattern.compile(
            "(?m)^static (?:__always_inline |inline )?[\\w *]+?\\b(nw_\\w+)\\(");
    private static final Pattern MACRO = Pattern.compile("(?m)^#define (NW_\\w+|nw_\\w+)");
    private static final Pattern MAP = Pattern.compile("(?m)^} (\\w+) SEC\\(\"\\.maps\"\\);");
    /** Maps of maps.bpf.h shared between probe groups that the agent does not touch. */
    private static final Set<String> PROBES_ONLY = Set.of("owners", "budget");

    static Path dir() {
        for (Path p : new Path[] {Path.of("../bpf"), Path.of("bpf")}) {
            if (Files.isRegularFile(p.resolve("netwatcher.h"))) {
                return p;
            }
        }
        throw new AssertionError("bpf/ not found from " + Path.of("").toAbsolutePath());
    }

    /** Every source but the generated vmlinux.h, by name. */
    static Map<String, String> sources() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir())) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if ((name.endsWith(".h") || name.endsWith(".c")) && !name.equals("vmlinux.h")) {
                    out.put(name, Files.readString(p));
                }
            }
        }
        return out;
    }

    @Test
    void everyHelperAndMacroIsUsed() throws IOException {
        Map<String, String> src = sources();
        String all = String.join("\n", src.values());
        List<String> unused = new ArrayList<>();
        Set<String> defined = new TreeSet<>();
        for (String text : src.values()) {
            for (Pattern p : new Pattern[] {FUNCTION, MACRO}) {
                Matcher m = p.matcher(text);
                while (m.find()) {
                    defined.add(m.group(1));
                }
            }
        }
        assertTrue(defined.size() > 50, "helpers found: " + defined.size());
        for (String name : defined) {
            Matcher uses = Pattern.compile("\\b" + name + "\\b").matcher(all);
            int n = 0;
            while (uses.find()) {
                n++;
            }
            if (n < 2) {
                unused.add(name);
            }
        }
        assertEquals(List.of(), unused, "defined but never used");
    }

    @Test
    void theAgentsMapsHaveOneViewEach() throws IOException {
        Set<String> maps = new TreeSet<>();
        Matcher m = MAP.matcher(sources().get("maps.bpf.h"));
        while (m.find()) {
            maps.add(m.group(1));
        }
        maps.removeAll(PROBES_ONLY);
        Set<String> views = new TreeSet<>(List.of(EventRing.NAME, ConnectionMap.NAME, GoneConnections.NAME,
                ListenerMap.NAME, HistogramMap.NAME, CgroupHistogramMap.CONNECT, CounterMap.COUNTERS, CounterMap.ICMP,
                CounterMap.DNS, CgroupHistogramMap.DNS, StatsMap.NAME, ControlMap.NAME, ConnectCountMap.NAME));
        assertEquals(views, maps, "maps.bpf.h vs the kernel package's views");
    }
}
