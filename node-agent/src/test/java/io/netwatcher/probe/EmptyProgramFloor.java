package io.netwatcher.probe;

import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.cgroup.Cgroup2Mount;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Benchmark helper (bench/bpf-runtime.sh): attaches an empty program to every hook netwatcher
 * uses, counts their run time with BPF_ENABLE_STATS for {@code seconds}, and prints the average
 * per invocation: the cost of a program that does nothing, on this machine, under the same load.
 *
 * <pre>java -cp ... io.netwatcher.probe.EmptyProgramFloor SECONDS</pre>
 */
public final class EmptyProgramFloor {
    private EmptyProgramFloor() {}

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        int stats = BpfObject.enableStats();
        try (BpfObject obj = BpfObject.open("nw_floor", BpfObjects.read("/bpf/floor.bpf.o"))) {
            obj.load();
            Path cg = Cgroup2Mount.find().orElseThrow();
            for (BpfProgram p : obj.programs().values()) {
                attach(p, cg);
            }
            System.err.println("floor programs attached");
            Thread.sleep(seconds * 1000L);
            System.out.printf("%-28s %14s %10s%n", "EMPTY PROGRAM", "RUNS", "AVG (ns)");
            for (BpfProgram p : obj.programs().values()) {
                long t = 0;
                long n = 0;
                for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + p.fd()))) {
                    if (line.startsWith("run_time_ns:")) {
                        t = Long.parseLong(line.substring(12).trim());
                    } else if (line.startsWith("run_cnt:")) {
                        n = Long.parseLong(line.substring(8).trim());
                    }
                }
                System.out.printf("%-28s %14d %10s%n", p.name(), n, n == 0 ? "-" : String.format("%.1f", (double) t / n));
            }
        } finally {
            BpfObject.closeFd(stats);
        }
    }

    /** Attaches one empty program: cgroup and sockops programs to the cgroup v2 root, the rest to their hook. */
    static void attach(BpfProgram p, Path cgroupRoot) {
        if (p.kind().equals("cgroup_skb") || p.kind().equals("sockops")) {
            p.attachCgroup(cgroupRoot);
        } else {
            p.attach();
        }
    }
}
