package io.netwatcher.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.Main;
import io.netwatcher.calls.CallsConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** --count-calls and --max-call-counters: bad values exit 2 naming the option, good ones become the config. */
class CallsOptionsTest {
    private static final String TOO_MANY = IntStream.rangeClosed(0, CallsConfig.MAX_FUNCTIONS)
            .mapToObj(i -> "f" + i).collect(Collectors.joining(","));

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--count-calls|skb clone", "--count-calls|skb_clone;rm", "--count-calls|9lives", "--count-calls|tcp_sendmsg,skb-clone",
        "--count-calls|skb_clone,skb_clone", "--count-calls|" + "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,"
                + "aa,bb,cc,dd,ee,ff,gg", "--max-call-counters|0", "--max-call-counters|1048577",
        "--max-call-counters|many"})
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
    void offByDefault() {
        CallsConfig c = parse("--standalone").calls();
        assertFalse(c.enabled());
        assertEquals(CallsConfig.NONE, c);
        assertTrue(parse("--standalone").events().contains("call_count"), "printed when counted: no switch twice");
    }

    @Test
    void functionsKeepTheirOrderAndTheMapItsSize() {
        CallsConfig c = parse("--standalone", "--count-calls", "skb_clone,tcp_sendmsg", "--count-calls",
                "ip_rcv_core.isra.0", "--max-call-counters", "100").calls();
        assertTrue(c.enabled());
        assertEquals(List.of("skb_clone", "tcp_sendmsg", "ip_rcv_core.isra.0"), c.functions());
        assertEquals(100, c.maxEntries());
        assertEquals("skb_clone,tcp_sendmsg,ip_rcv_core.isra.0", c.option());
        assertEquals(CallsConfig.DEFAULT_MAX_ENTRIES, parse("--standalone", "--count-calls", "skb_clone").calls()
                .maxEntries());
    }

    @Test
    void atMostMaxFunctions() {
        List<String> max = IntStream.range(0, CallsConfig.MAX_FUNCTIONS).mapToObj(i -> "f" + i).toList();
        assertEquals(max, parse("--standalone", "--count-calls", String.join(",", max)).calls().functions());
        assertEquals(CallsConfig.MAX_FUNCTIONS + 1, TOO_MANY.split(",").length);
        assertThrowsParameter("--standalone", "--count-calls", TOO_MANY);
    }

    private static void assertThrowsParameter(String... args) {
        try {
            parse(args);
        } catch (CommandLine.ParameterException e) {
            assertTrue(e.getMessage().contains("--count-calls"), e.getMessage());
            return;
        }
        throw new AssertionError("accepted: " + String.join(" ", args));
    }
}
