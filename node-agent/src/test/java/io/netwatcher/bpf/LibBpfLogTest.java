package io.netwatcher.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** libbpf's warnings that mean nothing to an operator are logged at debug. */
class LibBpfLogTest {
    @Test
    void featureProbeFailuresAndMemlockGuessesAreDemoted() {
        assertEquals(2, LibBpfLog.level(0, "libbpf: prog 'probe_fentry': BPF program load failed: Operation not permitted",
                true), "inside quietly(): a feature probe");
        assertEquals(0, LibBpfLog.level(0, "libbpf: prog 'tp_tcp_probe': BPF program load failed: Invalid argument",
                false), "a real program's failure stays a warning");
        assertEquals(2, LibBpfLog.level(0,
                "libbpf: permission error while running as root; try raising 'ulimit -l'? current value: 8.0 MiB", false));
        assertEquals(2, LibBpfLog.level(0, "libbpf: Failed to bump RLIMIT_MEMLOCK (err = -1), you might need to do it"
                + " explicitly!", false));
        assertEquals(1, LibBpfLog.level(1, "libbpf: loaded", false));
        assertEquals("fentry: no", LibBpfLog.quietly(() -> "fentry: no"));
    }
}
