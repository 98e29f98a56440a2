package io.netwatcher.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which function names can be counted: the ftrace list, else the text symbols of kallsyms. */
class TraceableFunctionsTest {
    @TempDir
    Path dir;

    @Test
    void ftraceLinesNameFunctionsOfTheKernelAndOfModules() {
        assertEquals(Set.of("skb_clone", "veth_xmit", "tcp_sendmsg"), TraceableFunctions.ftraceNames(Stream.of(
                "skb_clone", "veth_xmit [veth]", "tcp_sendmsg\tffffffff81a0b1c0", "")));
    }

    @Test
    void kallsymsGivesTextSymbolsOnly() {
        assertEquals(Set.of("skb_clone", "ip_rcv_core.isra.0", "veth_xmit"), TraceableFunctions.textSymbols(Stream.of(
                "ffffffff81e93d90 T skb_clone", "ffffffff81f00000 t ip_rcv_core.isra.0",
                "ffffffff82a00000 D init_net", "ffffffffc0001000 t veth_xmit\t[veth]", "ffffffff82b00000 b x")));
    }

    @Test
    void theFtraceListWinsAndAMissingNameIsNamedWithItsSource() throws Exception {
        Path ftrace = Files.writeString(dir.resolve("available_filter_functions"), "skb_clone\n");
        Path kallsyms = Files.writeString(dir.resolve("kallsyms"), "0 T skb_clone\n0 T tcp_sendmsg\n");
        TraceableFunctions t = TraceableFunctions.read(List.of(dir.resolve("absent"), ftrace), kallsyms);
        assertEquals(Optional.empty(), t.problem("skb_clone"));
        String why = t.problem("tcp_sendmsg").orElseThrow();
        assertTrue(why.contains("tcp_sendmsg is not traceable") && why.contains(ftrace.toString()), why);
    }

    @Test
    void withoutTracefsKallsymsDecides() throws Exception {
        Path kallsyms = Files.writeString(dir.resolve("kallsyms"), "0 T skb_clone\n");
        TraceableFunctions t = TraceableFunctions.read(List.of(dir.resolve("absent")), kallsyms);
        assertEquals(Optional.empty(), t.problem("skb_clone"));
        String why = t.problem("skb_clonx").orElseThrow();
        assertTrue(why.contains("skb_clonx") && why.contains("kallsyms"), why);
    }
}
