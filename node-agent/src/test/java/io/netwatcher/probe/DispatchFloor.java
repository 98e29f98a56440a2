package io.netwatcher.probe;

import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.cgroup.Cgroup2Mount;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Benchmark helper (bench/overhead.sh): the dispatch floor. Attaches the empty programs of
 * floor.bpf.o to the given hooks (ELF sections such as {@code tp_btf/netif_rx} or
 * {@code cgroup_skb/ingress}; none given = every hook in the object), leaves
 * kernel.bpf_stats_enabled as it is, says so on stderr and holds them until the process is
 * terminated (the kernel closes the links with the process). Fails if a hook has no empty program.
 *
 * <pre>java -cp ... io.netwatcher.probe.DispatchFloor [SECTION...]</pre>
 */
public final class DispatchFloor {
    private DispatchFloor() {}

    public static void main(String[] args) throws Exception {
        Set<String> wanted = new LinkedHashSet<>(List.of(args));
        try (BpfObject obj = BpfObject.open("nw_floor", BpfObjects.read("/bpf/floor.bpf.o"))) {
            Set<String> missing = new LinkedHashSet<>(wanted);
            obj.programs().values().forEach(p -> missing.remove(p.section()));
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("floor.bpf.o has no empty program for " + missing);
            }
            obj.load();
            Path cg = Cgroup2Mount.find().orElseThrow(() -> new IllegalStateException("no cgroup v2 mount"));
            List<String> attached = new ArrayList<>();
            for (BpfProgram p : obj.programs().values()) {
                if (wanted.isEmpty() || wanted.contains(p.section())) {
                    EmptyProgramFloor.attach(p, cg);
                    attached.add(p.section());
                }
            }
            System.err.println("floor programs attached: " + String.join(" ", attached));
            Thread.currentThread().join();
        }
    }
}
