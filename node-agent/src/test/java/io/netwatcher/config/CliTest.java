package io.netwatcher.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.Main;
import io.netwatcher.event.SocketFilter;
import io.netwatcher.event.Tuple;
import io.netwatcher.output.EventPrinter;
import io.netwatcher.probe.DnsConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad values exit with status 2 and one line naming the option; good ones become a config. */
class CliTest {
    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        return run(Map.of(), args);
    }

    private static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertUsageError(Run r, String named) {
        assertEquals(Main.EXIT_USAGE, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(named), "names " + named + ": " + r.err());
        assertTrue(r.out().isEmpty(), "nothing on stdout");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--sport|0|--sport", "--sport|70000|--sport", "--dport|-1|--dport", "--dport|http|--dport",
        "--dport|'80,http'|--dport", "--dport|'80,0'|--dport", "--sport|'1,2,3,4,5,6,7,8,9'|--sport",
        "--dport|'80,,443'|--dport", "--uid|-1|--uid", "--uid|4294967295|--uid", "--uid|root|--uid",
        "--sample|-1|--sample", "--sample|x|--sample", "--count|-5|--count", "--duration|-1|--duration",
        "--duration|soon|--duration", "--output|xml|--output", "--interval|0|--interval",
        "--events|packet,bogus|--events", "--ring-buffer-mb|3|--ring-buffer-mb", "--ring-buffer-mb|1024|--ring-buffer-mb",
        "--max-connections|0|--max-connections", "--prefer-hook|uprobe|--prefer-hook",
        "--cgroup-root|/nonexistent/cg|--cgroup-root", "--max-events-per-sec|-2|--max-events-per-sec",
        "--pid|-3|--pid", "--metrics-port|70000|--metrics-port", "--metrics-port|-1|--metrics-port",
        "--otlp-endpoint|collector:4317|--otlp-endpoint", "--otlp-endpoint|ftp://c:21|--otlp-endpoint",
        "--otlp-protocol|http/json|--otlp-protocol", "--metric-export-interval|0|--metric-export-interval",
        "--max-series|1|--max-series", "--cluster-name|' '|--cluster-name",
        "--kube-pod-selection|all|--kube-pod-selection", "--namespaces|Shop|--namespaces",
        "--exclude-namespaces|'kube-system,,web'|--exclude-namespaces", "--namespaces|shop|--namespaces",
        "--otlp-endpoint|http://127.0.0.1:99999|--otlp-endpoint", "--otlp-endpoint|http://c:0|--otlp-endpoint",
        "--liveness-timeout|0|--liveness-timeout", "--metrics-address|' '|--metrics-address",
        "--dns-timeout|0|--dns-timeout", "--dns-timeout|7200|--dns-timeout", "--dns-timeout|5s|--dns-timeout"})
    void aBadValueExitsWithStatus2AndOneLineNamingTheOption(String option, String value, String named) {
        Run r = run("--standalone", option, value);
        assertEquals(Main.EXIT_USAGE, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(named), "names the option: " + r.err());
        assertTrue(r.out().isEmpty(), "nothing on stdout");
    }

    @Test
    void dnsOptionsReachTheProbes() {
        AgentOptions defaults = new AgentOptions();
        new CommandLine(defaults).parseArgs("--standalone");
        assertEquals(DnsConfig.DEFAULTS, defaults.toConfig(Map.of()).probes().dns(), "on, with names, 5 s");
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--standalone", "--no-dns-names", "--dns-timeout", "0.25");
        assertEquals(new DnsConfig(true, false, 250_000_000L), o.toConfig(Map.of()).probes().dns());
        AgentOptions off = new AgentOptions();
        new CommandLine(off).parseArgs("--standalone", "--no-dns");
        assertFalse(off.toConfig(Map.of()).probes().dns().enabled());
    }

    @Test
    void aDirectoryAsArgumentFileIsAUsageError() {
        assertUsageError(run("--standalone", "@/tmp"), "@/tmp");
    }

    @Test
    void aKubeconfigThatIsNoneIsAUsageErrorNamingTheOption(@TempDir Path dir) throws Exception {
        assertUsageError(run("--kubeconfig", dir.toString()), "--kubeconfig");
        Path garbage = Files.writeString(dir.resolve("garbage"), "this is: [not yaml");
        assertUsageError(run("--kubeconfig", garbage.toString()), "--kubeconfig");
        Path text = Files.writeString(dir.resolve("text"), "hello world\n");
        assertUsageError(run("--kubeconfig", text.toString()), "--kubeconfig");
        Path empty = Files.writeString(dir.resolve("empty"), "");
        assertUsageError(run("--kubeconfig", empty.toString()), "--kubeconfig");
        Path noContext = Files.writeString(dir.resolve("no-context"), "apiVersion: v1\nkind: Config\nclusters: []\n");
        assertUsageError(run("--kubeconfig", noContext.toString()), "--kubeconfig");
    }

    @Test
    void nodeNameFromTheEnvironmentIsValidatedLikeTheOption() {
        Map<String, String> inPod = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "NODE_NAME", "Node_A!");
        assertUsageError(run(inPod), "NODE_NAME");
        assertUsageError(run(Map.of("NODE_NAME", "bad name"), "--kubeconfig", "/dev/null"), "--kubeconfig");
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--node-name", "node-a");
        assertEquals("node-a", o.toConfig(inPod).node(inPod, "host"), "--node-name wins over NODE_NAME");
        AgentOptions standalone = new AgentOptions();
        new CommandLine(standalone).parseArgs("--standalone");
        standalone.toConfig(inPod); // not used standalone: not checked
    }

    @Test
    void anOtlpEndpointFromTheEnvironmentIsValidatedLikeTheOption() {
        assertUsageError(run(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999"), "--standalone"),
                "OTEL_EXPORTER_OTLP_ENDPOINT");
    }

    @Test
    void theEndpointListensOnLoopbackStandaloneAndOnAllAddressesInKubernetes() {
        AgentOptions standalone = new AgentOptions();
        new CommandLine(standalone).parseArgs("--standalone");
        assertEquals("127.0.0.1", standalone.toConfig(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1")).export()
                .metricsAddress(), "standalone: this host only");
        AgentOptions notInCluster = new AgentOptions();
        new CommandLine(notInCluster).parseArgs();
        assertEquals("127.0.0.1", notInCluster.toConfig(Map.of()).export().metricsAddress());
        AgentOptions inPod = new AgentOptions();
        new CommandLine(inPod).parseArgs();
        assertEquals("0.0.0.0", inPod.toConfig(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1")).export()
                .metricsAddress(), "in a pod: the scraper and the kubelet reach the pod address");
        AgentOptions chosen = new AgentOptions();
        new CommandLine(chosen).parseArgs("--standalone", "--metrics-address", "0.0.0.0");
        assertEquals("0.0.0.0", chosen.toConfig(Map.of()).export().metricsAddress());
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        Run r = run("--standalone", "--frobnicate");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--frobnicate"), r.err());
        assertEquals(1, r.err().lines().count());
    }

    @Test
    void helpAndVersionExitZero() {
        Run help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("--sample"));
        assertEquals(0, run("--version").status());
    }

    @Test
    void goodValuesBecomeTheConfig() {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--standalone", "-s", "8080", "-d", "5201", "--sample", "10", "--count", "3",
                "--duration", "1.5", "-o", "table", "-a", "-i", "0.5", "--events", "packet,drop", "--ring-buffer-mb",
                "16", "--prefer-hook", "fentry");
        AgentConfig c = o.toConfig();
        assertTrue(c.standalone());
        assertEquals(List.of(8080), c.probes().filter().localPorts());
        assertEquals(List.of(5201), c.probes().filter().remotePorts());
        assertEquals(-1, c.probes().filter().uid(), "any owner");
        assertEquals(10, c.probes().sampleEvery());
        assertEquals(3, c.count());
        assertEquals(1_500_000_000L, c.durationNs());
        assertEquals(EventPrinter.Format.TABLE, c.format());
        assertTrue(c.all());
        assertEquals(500_000_000L, c.intervalNs());
        assertEquals(java.util.Set.of("packet", "drop"), c.events());
        assertEquals(16 << 20, c.probes().ringBufferBytes());
        assertEquals("FENTRY", c.probes().preferHook().orElseThrow().name());
        assertEquals(ExportConfig.defaults(), c.export(),
                "export defaults: endpoint on 127.0.0.1:9990, OTLP from the environment");
    }

    @Test
    void udpIsOnUnlessNoUdp() {
        AgentOptions on = new AgentOptions();
        new CommandLine(on).parseArgs("--standalone");
        assertTrue(on.toConfig().probes().udp(), "UDP on by default");
        AgentOptions off = new AgentOptions();
        new CommandLine(off).parseArgs("--standalone", "--no-udp");
        assertFalse(off.toConfig().probes().udp(), "--no-udp");
        assertTrue(off.toConfig().probes().icmp(), "ICMP is its own switch");
    }

    @Test
    void benignDropsArePrintedAndReportedByTheKernelOnlyWhenAskedFor() {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--standalone");
        AgentConfig c = o.toConfig();
        assertFalse(c.events().contains("benign_drop"), "not in the default event stream: " + c.events());
        assertTrue(c.events().contains("drop"));
        assertFalse(c.probes().benignDropEvents(), "the kernel does not spend the error budget on them");
        AgentOptions asked = new AgentOptions();
        new CommandLine(asked).parseArgs("--standalone", "--events", "drop,benign_drop");
        assertTrue(asked.toConfig().probes().benignDropEvents());
    }

    @Test
    void portListsAndAnOwnerBecomeTheSocketFilter() {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--standalone", "--dport", "80,443,80", "-s", "8080", "-s", "9090",
                "--uid", "1000");
        SocketFilter f = o.toConfig().probes().filter();
        assertEquals(List.of(80, 443), f.remotePorts(), "a port given twice is kept once");
        assertEquals(List.of(8080, 9090), f.localPorts(), "repeated options add up");
        assertEquals(1000, f.uid());
        Tuple t = new Tuple(Tuple.AF_INET, 0, 0x0000FFFFC6120001L, 9090, 0, 0x0000FFFFC6120002L, 443);
        assertTrue(f.matches(t, 1000));
        assertFalse(f.matches(t, 0), "another owner");
        assertFalse(f.matches(new Tuple(Tuple.AF_INET, 0, 0x0000FFFFC6120001L, 9090, 0, 0x0000FFFFC6120002L, 22),
                1000), "another remote port");
        AgentOptions root = new AgentOptions();
        new CommandLine(root).parseArgs("--standalone", "--uid", "0", "--dport", "1,2,3,4,5,6,7,8");
        assertEquals(0, root.toConfig().probes().filter().uid(), "root is a uid like any other");
        assertEquals(8, root.toConfig().probes().filter().remotePorts().size());
    }

    @Test
    void stateEventsAreReportedByTheKernelOnlyWhenAskedFor() {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--standalone");
        AgentConfig c = o.toConfig();
        assertFalse(c.events().contains("state"), "not in the default event stream: " + c.events());
        assertFalse(c.probes().stateEvents(), "the kernel does not write a record per transition");
        AgentOptions types = new AgentOptions();
        new CommandLine(types).parseArgs("--standalone", "--events", "connection,state");
        assertTrue(types.toConfig().probes().stateEvents());
        AgentOptions flag = new AgentOptions();
        new CommandLine(flag).parseArgs("--standalone", "-S");
        AgentConfig f = flag.toConfig();
        assertTrue(f.probes().stateEvents());
        assertTrue(f.events().contains("state") && f.events().contains("connection"), "added to the defaults: "
                + f.events());
    }

    @Test
    void exportOptionsBecomeTheExportConfig() {
        AgentOptions o = new AgentOptions();
        new CommandLine(o).parseArgs("--metrics-port", "0", "--metrics-address", "127.0.0.1", "--otlp-endpoint",
                "http://collector:4317", "--otlp-protocol", "grpc", "--metric-export-interval", "2.5",
                "--cluster-name", "prod", "--max-series", "50");
        ExportConfig e = o.toConfig().export();
        assertEquals(0, e.metricsPort());
        assertEquals("127.0.0.1", e.metricsAddress());
        assertEquals("http://collector:4317", e.otlpEndpoint().orElseThrow());
        assertEquals("grpc", e.otlpProtocol().orElseThrow());
        assertEquals(2500L, e.metricExportIntervalMs().orElseThrow());
        assertEquals("prod", e.clusterName().orElseThrow());
        assertEquals(50, e.maxSeries());
    }
}
