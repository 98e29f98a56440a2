package io.netwatcher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * k8s/ (plain manifests for kubectl apply -k) equals the chart rendered with its defaults.
 * With -Dnetwatcher.updateManifests=true it rewrites k8s/netwatcher.yaml from the chart instead.
 */
class ManifestsTest {
    private static final String HEADER = """
            # Generated from helm/netwatcher with its default values (release and namespace "netwatcher").
            # Do not edit: change the chart, then regenerate (see kustomization.yaml).
            """;

    @Test
    void thePlainManifestsAreTheChartDefaults() throws Exception {
        Path k8s = Chart.root().resolve("k8s");
        Path file = k8s.resolve("netwatcher.yaml");
        String rendered = Chart.template(Map.of());
        if (Boolean.getBoolean("netwatcher.updateManifests")) {
            Files.writeString(file, HEADER + rendered.replaceAll("(?m)^# Source: .*\\n", ""));
        }
        List<HasMetadata> expected = Chart.parse(rendered);
        List<HasMetadata> actual = Chart.parse(Files.readString(file));
        assertEquals(expected.size(), actual.size(), "objects in k8s/netwatcher.yaml");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(Serialization.asYaml(expected.get(i)), Serialization.asYaml(actual.get(i)),
                    "k8s/netwatcher.yaml is out of step with the chart: regenerate it (see k8s/kustomization.yaml)");
        }

        String kustomization = Files.readString(k8s.resolve("kustomization.yaml"));
        assertTrue(kustomization.contains("namespace: " + Chart.NAMESPACE), kustomization);
        for (String r : List.of("namespace.yaml", "netwatcher.yaml")) {
            assertTrue(kustomization.contains("  - " + r), "kustomization lists " + r);
        }
        assertTrue(Files.readString(k8s.resolve("namespace.yaml")).contains("name: " + Chart.NAMESPACE));
    }
}
