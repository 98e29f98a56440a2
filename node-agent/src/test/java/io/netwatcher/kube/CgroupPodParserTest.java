package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * /proc/PID/cgroup fixtures for each runtime (containerd, CRI-O, Docker) and cgroup driver
 * (systemd, cgroupfs), on unified (v2) and hybrid (v1 controllers + v2) hosts; expected.tsv
 * says what each must resolve to, and every fixture not listed there must not resolve.
 */
class CgroupPodParserTest {
    private static final String DIR = "/cgroup-fixtures/";

    private static List<String> lines(String name) throws IOException {
        try (InputStream in = CgroupPodParserTest.class.getResourceAsStream(DIR + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureResolvesAsExpected() throws Exception {
        Map<String, String[]> expected = new HashMap<>();
        for (String line : lines("expected.tsv")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                String[] f = line.split("\t");
                expected.put(f[0], f);
            }
        }
        Path dir = Path.of(CgroupPodParserTest.class.getResource(DIR + "expected.tsv").toURI()).getParent();
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cgroup")).sorted().toList()) {
                String name = f.getFileName().toString().replace(".cgroup", "");
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    Optional<ContainerCgroup> got = CgroupPodParser.parseProcCgroup(lines(name + ".cgroup"));
                    String[] want = expected.get(name);
                    if (want == null) {
                        assertTrue(got.isEmpty(), "not a pod: " + got);
                        return;
                    }
                    ContainerCgroup c = got.orElseThrow(() -> new AssertionError("no pod found"));
                    assertEquals(want[1], c.podUid());
                    assertEquals(want[2].equals("-") ? null : want[2], c.containerId());
                    assertEquals(want[3].equals("-") ? "" : want[3], c.runtime());
                }));
            }
        }
        assertTrue(tests.size() >= expected.size() + 3, "fixtures present");
        return tests.stream();
    }

    @Test
    void theInnermostPodWinsAndSystemdUnderscoresBecomeDashes() {
        ContainerCgroup c = CgroupPodParser.parse("/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice")
                .orElseThrow();
        assertEquals("11111111-2222-3333-4444-555555555555", c.podUid());
        assertTrue(CgroupPodParser.parse("/").isEmpty());
        assertTrue(CgroupPodParser.parse(null).isEmpty());
        assertTrue(CgroupPodParser.parse("/podcast.slice/x").isEmpty(), "a name that only contains 'pod'");
    }
}
