package io.netwatcher.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Main code names other classes through imports only: a fully qualified name in code
 * ({@code java.util.Objects.requireNonNull}, {@code io.netwatcher.kube.NodePods.Selection}) hides a
 * dependency between packages from whoever reads the imports. Comments and string literals aside.
 */
class QualifiedNamesTest {
    /** A package path (of a known root) followed by a class name. */
    static final Pattern QUALIFIED = Pattern.compile(
            "\\b(?:java|javax|jdk|sun|com|org|io|picocli)(?:\\.[a-z][a-z0-9_]*)+\\.[A-Z]\\w*");

    static Path mainSources() {
        for (Path p : new Path[] {Path.of("src/main/java"), Path.of("node-agent/src/main/java")}) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new AssertionError("src/main/java not found from " + Path.of("").toAbsolutePath());
    }

    @Test
    void mainCodeHasNoInlineQualifiedNames() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(mainSources())) {
            for (Path p : all.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                files++;
                found.addAll(scan(p.toString(), Files.readString(p)));
            }
        }
        assertTrue(files > 100, "sources found: " + files);
        assertEquals(List.of(), found, "inline qualified names (import them)");
    }

    /** Qualified names in code lines of {@code source} (imports, package line, comments and strings aside). */
    static List<String> scan(String file, String source) {
        List<String> out = new ArrayList<>();
        String[] lines = stripCommentsAndStrings(source).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.startsWith("import ") || line.startsWith("package ")) {
                continue;
            }
            Matcher m = QUALIFIED.matcher(line);
            while (m.find()) {
                out.add(file + ":" + (i + 1) + ": " + m.group());
            }
        }
        return out;
    }

    /** The source with comments and string/char literals blanked, line breaks kept. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? s.length() : end + 2;
                s.substring(i, end).chars().filter(ch -> ch == '\n').forEach(ch -> b.append('\n'));
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                end = end < 0 ? s.length() : end + 3;
                s.substring(i, end).chars().filter(ch -> ch == '\n').forEach(ch -> b.append('\n'));
                b.append("\"\"");
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c) {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                b.append(c).append(c);
                i = j + 1;
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }

    @Test
    void theScanFindsWhatItLooksFor() {
        String src = "package a.b;\nimport java.util.List;\n// java.util.Objects in a comment\n"
                + "class X { Object o = java.util.Objects.requireNonNull(\"io.netwatcher.kube.X\");\n"
                + "  io.netwatcher.kube.NodePods.Selection s; /* java.util.Map */ }\n";
        assertEquals(List.of("X.java:4: java.util.Objects", "X.java:5: io.netwatcher.kube.NodePods"),
                scan("X.java", src));
    }
}
