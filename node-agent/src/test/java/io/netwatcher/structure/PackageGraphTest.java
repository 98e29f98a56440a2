package io.netwatcher.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages of main code, as their imports tie them: no cycles, and the pipeline
 * kernel -> event model -> identity -> outputs keeps its direction (docs/architecture.md).
 */
class PackageGraphTest {
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package io\\.netwatcher(\\.(\\w+))?;");
    private static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?([\\w.]+)\\.[A-Z]\\w*(?:\\.\\w+)*;");
    /** Package -> the packages and libraries it imports ("io.netwatcher.x" is "x"; Main's package is "main"). */
    private static final Map<String, Set<String>> IMPORTS = new TreeMap<>();

    @BeforeAll
    static void read() throws IOException {
        try (Stream<Path> all = Files.walk(QualifiedNamesTest.mainSources())) {
            for (Path p : all.filter(f -> f.toString().endsWith(".java")).toList()) {
                String src = Files.readString(p);
                Matcher pm = PACKAGE.matcher(src);
                assertTrue(pm.find(), "package line of " + p);
                String pkg = pm.group(2) == null ? "main" : pm.group(2);
                Set<String> to = IMPORTS.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher im = IMPORT.matcher(src);
                while (im.find()) {
                    String target = im.group(1);
                    if (target.startsWith("io.netwatcher.")) {
                        String t = target.substring("io.netwatcher.".length()).split("\\.")[0];
                        if (!t.equals(pkg)) {
                            to.add(t);
                        }
                    } else if (target.equals("io.netwatcher")) {
                        to.add("main");
                    } else {
                        to.add(target);
                    }
                }
            }
        }
        assertTrue(IMPORTS.size() > 10, "packages: " + IMPORTS.keySet());
    }

    private static Set<String> project(String pkg) {
        Set<String> out = new TreeSet<>();
        for (String t : IMPORTS.getOrDefault(pkg, Set.of())) {
            if (IMPORTS.containsKey(t)) {
                out.add(t);
            }
        }
        return out;
    }

    @Test
    void packagesImportEachOtherWithoutCycles() {
        List<String> cycles = new ArrayList<>();
        for (String start : IMPORTS.keySet()) {
            cycle(start, start, new ArrayList<>(List.of(start)), new TreeSet<>(), cycles);
        }
        assertEquals(List.of(), cycles, "package cycles");
    }

    private static void cycle(String start, String at, List<String> path, Set<String> seen, List<String> out) {
        for (String next : project(at)) {
            if (next.equals(start)) {
                if (start.equals(path.stream().min(String::compareTo).orElseThrow())) {
                    out.add(String.join(" -> ", path) + " -> " + start);
                }
            } else if (seen.add(next)) {
                path.add(next);
                cycle(start, next, path, seen, out);
                path.remove(path.size() - 1);
            }
        }
    }

    @Test
    void theEventModelImportsNoOtherPackage() {
        assertEquals(Set.of(), project("event"), "event is the model every stage shares");
    }

    @Test
    void outputsDoNotReachIntoTheRuntimeOrTheKernel() {
        assertTrue(!project("output").contains("agent") && !project("output").contains("kernel"),
                "output renders events: " + project("output"));
        assertTrue(!project("kube").contains("config"), "kube does not depend on config: " + project("kube"));
        assertTrue(!project("kube").contains("output") && !project("kube").contains("export"),
                "kube finds pods; it renders nothing: " + project("kube"));
        assertTrue(!project("output").contains("kube") && !project("output").contains("identity"),
                "output renders who events belong to, resolved before: " + project("output"));
        assertTrue(!project("kernel").contains("agent") && !project("kernel").contains("probe"),
                "kernel is below the runtime: " + project("kernel"));
    }

    @Test
    void onlyKubeTalksToTheKubernetesClient() {
        for (Map.Entry<String, Set<String>> e : IMPORTS.entrySet()) {
            if (!e.getKey().equals("kube")) {
                assertTrue(e.getValue().stream().noneMatch(t -> t.startsWith("io.fabric8")),
                        e.getKey() + " imports fabric8 (standalone mode must not load it): " + e.getValue());
            }
        }
    }
}
