package io.netwatcher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.netwatcher.anomaly.AnomalyConfig;
import io.netwatcher.config.AgentOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** agent.anomalies in the chart reach the agent as its anomaly options, validated by the schema. */
class AnomalyChartTest {
    private static AnomalyConfig anomalies(List<HasMetadata> objects, Path dir) throws Exception {
        Path args = dir.resolve("agent.args");
        Files.writeString(args, Chart.agentArgs(objects));
        List<String> argv = new ArrayList<>(Chart.daemonSet(objects).getSpec().getTemplate().getSpec().getContainers()
                .get(0).getArgs());
        argv.replaceAll(a -> a.equals("--cgroup-root=/host/cgroup") ? "--cgroup-root=" + dir
                : a.equals("@/etc/netwatcher/agent.args") ? "@" + args : a);
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs(argv.toArray(String[]::new));
        return o.toConfig(Map.of()).anomalies();
    }

    @Test
    void theChartDefaultsAreTheAgentDefaults(@TempDir Path dir) throws Exception {
        assertEquals(AnomalyConfig.defaults(), anomalies(Chart.render(Map.of()), dir));
    }

    @Test
    void valuesReachTheAgentAndOffTurnsItOff(@TempDir Path dir) throws Exception {
        AnomalyConfig a = anomalies(Chart.renderValues("""
                agent:
                  maxSeries: 300
                  anomalies: {sensitivity: 2.5, warmup: 20, minSamples: 500, minRiseUs: 1000}
                """), dir);
        assertEquals(new AnomalyConfig(true, 2.5, 20, 500, 1_000_000, 300), a);
        assertFalse(anomalies(Chart.renderValues("agent: {anomalies: {enabled: false}}"), dir).enabled());
    }

    @Test
    void badValuesAreRefusedByTheSchema() {
        for (String bad : List.of("{sensitivity: 0}", "{warmup: 0}", "{minSamples: 0}", "{minRiseUs: -1}",
                "{sensitivity: high}", "{bogus: 1}")) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Chart.renderValues("agent: {anomalies: " + bad + "}"), bad);
            assertTrue(e.getMessage().contains("don't meet the specifications of the schema"), e.getMessage());
        }
    }
}
