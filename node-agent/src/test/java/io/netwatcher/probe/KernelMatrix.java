package io.netwatcher.probe;

import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.btf.Btf;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Documentation helper: for each kernel given by its BTF (a vmlinux ELF, or a raw BTF file such
 * as /sys/kernel/btf/vmlinux), which backing each boundary would get, assuming fentry and kprobes
 * work there and a cgroup v2 mount exists. Prints the markdown table of docs/kernel-matrix.md.
 *
 * <pre>java -cp ... io.netwatcher.probe.KernelMatrix 6.1=/path/vmlinux-6.1 6.18=/sys/kernel/btf/vmlinux</pre>
 */
public final class KernelMatrix {
    private KernelMatrix() {}

    static Btf load(Path p) throws Exception {
        byte[] b = Files.readAllBytes(p);
        return b.length > 4 && b[0] == 0x7f && b[1] == 'E' ? Btf.ofObject(b) : Btf.parse(ByteBuffer.wrap(b));
    }

    public static void main(String[] args) throws Exception {
        Map<String, KernelHooks> kernels = new LinkedHashMap<>();
        for (String a : args) {
            String[] kv = a.split("=", 2);
            kernels.put(kv[0], new KernelHooks(load(Path.of(kv[1])), null, null, Path.of("/sys/fs/cgroup")));
        }
        try (BpfObject obj = BpfObject.open("netwatcher", BpfObjects.read(BpfObjects.NETWATCHER))) {
            StringBuilder head = new StringBuilder("| boundary |");
            StringBuilder sep = new StringBuilder("|---|");
            for (String k : kernels.keySet()) {
                head.append(' ').append(k).append(" |");
                sep.append("---|");
            }
            System.out.println(head);
            System.out.println(sep);
            for (Boundary b : Boundary.values()) {
                StringBuilder row = new StringBuilder("| `" + b.id() + "` |");
                for (KernelHooks hooks : kernels.values()) {
                    row.append(' ').append(choice(obj, hooks, b)).append(" |");
                }
                System.out.println(row);
            }
        }
    }

    private static String choice(BpfObject obj, KernelHooks hooks, Boundary b) {
        List<String> missing = new ArrayList<>();
        for (Boundary.Candidate c : b.candidates()) {
            List<String> ok = new ArrayList<>();
            for (Boundary.ProgramRef ref : c.programs()) {
                BpfProgram p = obj.program(ref.name());
                String problem = hooks.problem(p, ref);
                if (problem == null) {
                    ok.add(p.target());
                } else {
                    missing.add(problem);
                }
            }
            if (c.backsWith(ok)) {
                return c.kind().label() + " " + String.join(", ", ok);
            }
        }
        return "**none** (" + String.join("; ", missing) + ")";
    }
}
