package io.netwatcher.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.Main;
import io.netwatcher.anomaly.AnomalyConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The latency anomaly options: bad values exit 2 naming the option, good ones become the config. */
class AnomalyOptionsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--anomaly-sensitivity|0", "--anomaly-sensitivity|-1", "--anomaly-sensitivity|101",
        "--anomaly-sensitivity|NaN", "--anomaly-sensitivity|high", "--anomaly-warmup|0", "--anomaly-warmup|100001",
        "--anomaly-warmup|1.5", "--anomaly-min-samples|0", "--anomaly-min-samples|-5", "--anomaly-min-rise|-1",
        "--anomaly-min-rise|NaN", "--anomaly-min-rise|Infinity", "--anomaly-min-rise|fast"})
    void aBadValueExitsWithStatus2AndOneLineNamingTheOption(String option, String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"--standalone", option, value}, Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.EXIT_USAGE, status, e);
        assertEquals(1, e.lines().count(), "one line: " + e);
        assertTrue(e.contains(option), "names the option: " + e);
        assertEquals(0, out.size(), "nothing on stdout");
    }

    private static AgentConfig parse(String... args) {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs(args);
        return o.toConfig(Map.of());
    }

    @Test
    void onByDefaultWithTheDocumentedDefaultsAndTheSeriesCap() {
        AgentConfig c = parse("--standalone");
        assertEquals(AnomalyConfig.defaults(), c.anomalies());
        assertTrue(c.events().contains("anomaly"), "printed by default: " + c.events());
        AnomalyConfig capped = parse("--standalone", "--max-series", "50").anomalies();
        assertEquals(50, capped.maxSeries(), "capped like every metric's series");
    }

    @Test
    void goodValuesBecomeTheConfigAndTheSwitchTurnsItOff() {
        AnomalyConfig a = parse("--standalone", "--anomaly-sensitivity", "2.5", "--anomaly-warmup", "3",
                "--anomaly-min-samples", "20", "--anomaly-min-rise", "0.5").anomalies();
        assertEquals(new AnomalyConfig(true, 2.5, 3, 20, 500, AnomalyConfig.DEFAULT_MAX_SERIES), a);
        assertFalse(parse("--standalone", "--no-anomalies").anomalies().enabled());
    }
}
