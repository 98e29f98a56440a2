package io.netwatcher.calls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the agent says when calls cannot be counted: the option, the reason, and that it runs on. */
class CallCounterTest {
    @TempDir
    Path dir;

    @Test
    void kprobesFirstThenFentryUnlessFentryIsPreferred() {
        Optional<String> ok = Optional.empty();
        Optional<String> refused = Optional.of("EPERM");
        assertEquals(Optional.of(CallCounter.Backing.KPROBE), CallCounter.backing(ok, ok, false));
        assertEquals(Optional.of(CallCounter.Backing.FENTRY), CallCounter.backing(ok, ok, true));
        assertEquals(Optional.of(CallCounter.Backing.KPROBE), CallCounter.backing(ok, refused, true),
                "a preference, not a requirement");
        assertEquals(Optional.of(CallCounter.Backing.FENTRY), CallCounter.backing(refused, ok, false));
        assertEquals(Optional.empty(), CallCounter.backing(refused, refused, false));
    }

    @Test
    void withNeitherTheReasonCarriesBothProbesErrors() {
        String why = CallCounter.unavailability("bpf_program__attach(probe_kprobe): No such file",
                "bpf_object__load(nw_features): Operation not permitted");
        assertTrue(why.contains("counted with kprobes or fentry, and this kernel allows neither"), why);
        assertTrue(why.contains("No such file") && why.contains("Operation not permitted"), why);
    }

    @Test
    void unavailableSaysSoOnceNamingTheOptionAndStillNamesAMisspeltFunction() throws Exception {
        Path kallsyms = Files.writeString(dir.resolve("kallsyms"), "0 T skb_clone\n0 T tcp_sendmsg\n");
        TraceableFunctions t = TraceableFunctions.read(List.of(), kallsyms);
        CallsConfig config = new CallsConfig(List.of("skb_clone", "tcp_sendmsg", "skb_clonx"), 100);
        CallCounter c = CallCounter.unavailable(config, "no kprobes", t, 0);
        assertFalse(c.counting());
        assertEquals(Optional.of("no kprobes"), c.unavailable());
        assertEquals(Optional.empty(), c.summary());
        assertEquals(List.of(), c.poll(1), "nothing to read");
        List<String> lines = c.problems();
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("call counting UNAVAILABLE (--count-calls skb_clone,tcp_sendmsg,skb_clonx): no kprobes;"
                + " running without call counts", lines.get(0));
        assertTrue(lines.get(1).startsWith("call counting: skb_clonx (--count-calls) not counted: kernel function"
                + " skb_clonx is not traceable"), lines.get(1));
        assertEquals(List.of(false, false, false), c.functions().stream().map(CallCounter.FunctionStatus::counted)
                .toList());
        c.close();
    }
}
