package io.netwatcher.names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenignDropsTest {
    private static final DropReasons REASONS = new DropReasons(Map.of(2, "NOT_SPECIFIED", 3, "NO_SOCKET",
            12, "NETFILTER_DROP", 41, "TCP_OLD_SEQUENCE", 104, "QUEUE_PURGE"));

    private static KernelSymbols symbols(Path dir, String... lines) throws Exception {
        Path k = dir.resolve("kallsyms");
        Files.writeString(k, String.join("\n", lines) + "\n");
        return KernelSymbols.load(k);
    }

    @Test
    void rulesResolveToReasonValuesAndFunctionRanges(@TempDir Path dir) throws Exception {
        KernelSymbols syms = symbols(dir,
                "ffffffff81000000 T _stext",
                "ffffffff81b00000 T ping_rcv",
                "ffffffff81b00200 t ping_rcv.cold",
                "ffffffff81b00240 T ping_queue_rcv_skb",
                "ffffffff81c00000 T icmp_rcv");
        List<BenignDrops.Entry> table = BenignDrops.resolve(REASONS, syms, 8);
        assertTrue(table.contains(new BenignDrops.Entry(3, 0xffffffff81b00000L, 0xffffffff81b00200L)), table.toString());
        assertTrue(table.contains(new BenignDrops.Entry(3, 0xffffffff81b00200L, 0xffffffff81b00240L)),
                "the compiler's clone of the function too: " + table);
        assertTrue(table.contains(new BenignDrops.Entry(104, 0, -1L)), "QUEUE_PURGE anywhere");
        assertTrue(table.stream().noneMatch(e -> e.reason() == 2), "ip6_mc_input is not in these symbols");
        assertTrue(BenignDrops.isBenign(table, 3, 0xffffffff81b000b3L), "a ping reply freed at ping_rcv+0xb3");
        assertFalse(BenignDrops.isBenign(table, 3, 0xffffffff81c00010L), "NO_SOCKET elsewhere is a loss");
        assertTrue(BenignDrops.isBenign(table, 41, 0xffffffff81c00010L), "TCP_OLD_SEQUENCE anywhere");
        assertFalse(BenignDrops.isBenign(table, 12, 0xffffffff81b000b3L), "NETFILTER_DROP is always a loss");
    }

    @Test
    void withoutKernelAddressesOnlyTheReasonRulesRemain(@TempDir Path dir) throws Exception {
        KernelSymbols hidden = symbols(dir, "0000000000000000 T _stext", "0000000000000000 T ping_rcv");
        List<BenignDrops.Entry> table = BenignDrops.resolve(REASONS, hidden, 8);
        assertTrue(table.stream().allMatch(e -> e.lo() == 0 && e.hi() == -1L), table.toString());
        assertEquals(2, table.size(), "QUEUE_PURGE and TCP_OLD_SEQUENCE; this kernel has no TCP_OLD_DATA");
    }

    @Test
    void theTableFitsTheKernelsSlots(@TempDir Path dir) throws Exception {
        KernelSymbols syms = symbols(dir, "ffffffff81000000 T _stext", "ffffffff81b00000 T ping_rcv",
                "ffffffff81b00100 T ping_rcv.isra.0", "ffffffff81b00200 T ping_rcv.cold", "ffffffff81b00300 T x");
        assertEquals(2, BenignDrops.resolve(REASONS, syms, 2).size());
    }
}
