package io.netwatcher.names;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelSymbolsTest {
    @Test
    void namesAddressesAsSymbolPlusOffset(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("kallsyms");
        Files.writeString(k, String.join("\n",
                "ffffffff81000000 T _stext",
                "ffffffff81a00000 t nf_hook_slow",
                "ffffffff81a00200 T tcp_v4_rcv",
                "ffffffff82000000 D some_data",
                "ffffffffc0001000 t veth_xmit\t[veth]", ""));
        KernelSymbols s = KernelSymbols.load(k);
        assertEquals(4, s.size(), "text symbols only");
        assertEquals("nf_hook_slow+0x9c", s.describe(0xffffffff81a0009cL));
        assertEquals("tcp_v4_rcv+0x0", s.describe(0xffffffff81a00200L));
        assertEquals("veth_xmit+0x10", s.describe(0xffffffffc0001010L));
        assertEquals("0x1000", s.describe(0x1000));
    }

    @Test
    void sortsSymbolsListedOutOfOrder(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("kallsyms");
        Files.writeString(k, String.join("\n",
                "ffffffffc0002000 t br_handle_frame\t[bridge]",
                "ffffffff81a00200 T tcp_v4_rcv",
                "ffffffffc0001000 t veth_xmit\t[veth]",
                "ffffffff81000000 T _stext",
                "ffffffff81a00000 t nf_hook_slow", ""));
        KernelSymbols s = KernelSymbols.load(k);
        assertEquals(5, s.size());
        assertEquals("_stext+0x10", s.describe(0xffffffff81000010L));
        assertEquals("nf_hook_slow+0x1ff", s.describe(0xffffffff81a001ffL));
        assertEquals("tcp_v4_rcv+0x5", s.describe(0xffffffff81a00205L));
        assertEquals("veth_xmit+0xfff", s.describe(0xffffffffc0001fffL));
        assertEquals("br_handle_frame+0x0", s.describe(0xffffffffc0002000L));
    }

    @Test
    void withoutPrivilegeAddressesStayHex(@TempDir Path dir) throws Exception {
        Path k = dir.resolve("kallsyms");
        Files.writeString(k, "0000000000000000 T _stext\n0000000000000000 t nf_hook_slow\n");
        assertEquals("0xffffffff81a0009c", KernelSymbols.load(k).describe(0xffffffff81a0009cL));
    }
}
