package io.netwatcher.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netwatcher.bpf.BpfObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Preconditions of kernel/root integration tests. On a developer's laptop a missing
 * precondition skips the test; with {@code -Dnetwatcher.requireKernel=true} (the README test
 * command and CI) it fails it, so CI can never pass by skipping.
 */
public final class Kernel {
    private Kernel() {}

    public static boolean required() {
        return Boolean.getBoolean("netwatcher.requireKernel");
    }

    public static void require(boolean condition, String what) {
        if (condition) {
            return;
        }
        if (required()) {
            fail("precondition failed (netwatcher.requireKernel=true): " + what);
        }
        assumeTrue(false, "skipped: " + what);
    }

    /** Root, kernel BTF, libbpf, and the iproute2/nftables tools the tests drive. */
    public static void requireRootKernel() {
        require(isRoot(), "must run as root (uid 0)");
        require(Files.isReadable(Path.of("/sys/kernel/btf/vmlinux")), "kernel BTF /sys/kernel/btf/vmlinux");
        require(BpfObject.isAvailable(), "libbpf.so.1 loadable: " + BpfObject.unavailabilityCause());
        for (String tool : new String[] {"ip", "ss", "nft", "nstat"}) {
            require(Sh.which(tool), "command " + tool + " on PATH");
        }
    }

    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
