package io.netwatcher.names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netwatcher.btf.Btf;
import io.netwatcher.testing.Kernel;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernel's own enums the agent names (TCP states, IP protocols) against the running kernel's
 * BTF: every Java constant is a member of the kernel's enum with the same value.
 */
class KernelEnumsIT {
    private static Map<String, Long> kernel;

    @BeforeAll
    static void vmlinux() throws Exception {
        Kernel.require(Files.isReadable(Btf.VMLINUX), "kernel BTF " + Btf.VMLINUX);
        Btf btf = Btf.vmlinux();
        kernel = new HashMap<>();
        for (int id = 1; id <= btf.typeCount(); id++) {
            if (btf.kind(id) == Btf.KIND_ENUM && btf.name(id).isEmpty()) {
                kernel.putAll(btf.enumValues(id)); // TCP states and IPPROTO_* are anonymous enums
            }
        }
    }

    @Test
    void tcpStatesAreTheKernels() {
        for (TcpState s : TcpState.values()) {
            assertEquals(kernel.get(s.cName()), Long.valueOf(s.value()), s.cName());
        }
        assertEquals("ESTABLISHED", TcpState.name(1));
        assertEquals("UNKNOWN", TcpState.name(0));
        assertEquals("STATE_99", TcpState.name(99));
    }

    @Test
    void ipProtocolsAreTheKernels() {
        for (IpProtocol p : IpProtocol.values()) {
            if (p == IpProtocol.ICMPV6) {
                assertTrue(!kernel.containsKey(p.cName()) || kernel.get(p.cName()) == 58, "IPPROTO_ICMPV6");
                continue; // a #define in uapi linux/in6.h, not in BTF
            }
            assertEquals(kernel.get(p.cName()), Long.valueOf(p.value()), p.cName());
        }
    }
}
