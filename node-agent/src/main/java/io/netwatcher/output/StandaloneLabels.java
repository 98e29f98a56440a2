package io.netwatcher.output;

import io.netwatcher.cgroup.CgroupPaths;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelSymbols;
import java.nio.file.Path;

/** Labels from the host alone: cgroup paths from the cgroup2 mount, kernel names from BTF and kallsyms. */
public final class StandaloneLabels implements Labels {
    private final CgroupPaths cgroups;
    private final DropReasons reasons;
    private volatile KernelSymbols symbols;

    public StandaloneLabels(CgroupPaths cgroups, DropReasons reasons) {
        this.cgroups = cgroups;
        this.reasons = reasons;
    }

    @Override
    public String cgroupPath(long cgroupId) {
        return cgroups == null ? null : cgroups.path(cgroupId).orElse(null);
    }

    @Override
    public String dropReason(int reason) {
        return reasons.name(reason);
    }

    @Override
    public String kernelSymbol(long address) {
        KernelSymbols s = symbols;
        if (s == null) {
            s = KernelSymbols.load(Path.of("/proc/kallsyms"));
            symbols = s;
        }
        return s.describe(address);
    }
}
