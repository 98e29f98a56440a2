package io.netwatcher.probe;

import io.netwatcher.bpf.BpfClosedException;
import io.netwatcher.bpf.BpfException;
import io.netwatcher.bpf.BpfLink;
import io.netwatcher.bpf.BpfObject;
import io.netwatcher.bpf.BpfProgram;
import io.netwatcher.btf.Btf;
import io.netwatcher.cgroup.Cgroup2Mount;
import io.netwatcher.kernel.ConnectionMap;
import io.netwatcher.kernel.EventRing;
import io.netwatcher.kernel.KernelMaps;
import io.netwatcher.event.SocketFilter;
import io.netwatcher.kernel.Layouts;
import io.netwatcher.names.BenignDrops;
import io.netwatcher.names.DropReasons;
import io.netwatcher.names.KernelSymbols;
import io.netwatcher.netns.Netns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loaded and attached probes: chooses a backing per {@link Boundary} from what the kernel
 * allows, loads netwatcher.bpf.o with those programs, attaches them, and reports each boundary.
 * A program the verifier rejects is dropped and the object reloaded without it; a program that
 * fails to attach is reported and the rest keeps running, except where its boundary needs all of
 * its programs (an entry that stamps and an exit that measures): the others are detached.
 */
public final class ProbeSet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeSet.class);
    private static final int MAX_LOAD_ATTEMPTS = 4;

    private final BpfObject object;
    private final KernelMaps maps;
    private final List<Attachment> attachments;
    private final KernelHooks hooks;
    private final Map<String, BpfLink> iterators;
    private final NetfilterLinks netfilter;

    private ProbeSet(BpfObject object, KernelMaps maps, List<Attachment> attachments, KernelHooks hooks,
                     Map<String, BpfLink> iterators, NetfilterLinks netfilter) {
        this.object = object;
        this.maps = maps;
        this.attachments = List.copyOf(attachments);
        this.hooks = hooks;
        this.iterators = Map.copyOf(iterators);
        this.netfilter = netfilter;
    }

    /** Detects hooks, loads and attaches. */
    public static ProbeSet open(ProbeConfig config) throws IOException {
        Btf vmlinux = Btf.vmlinux();
        KernelHooks hooks = KernelHooks.detect(vmlinux, BpfObjects.read(BpfObjects.FEATURES),
                config.cgroupRoot().or(Cgroup2Mount::find));
        return open(config, hooks, BpfObjects.read(BpfObjects.NETWATCHER), Map.of());
    }

    /**
     * As {@link #open(ProbeConfig)}, with programs taken as refused by the verifier before the first
     * load (name to reason): how the twins of a program an older kernel refuses are tested here.
     */
    static ProbeSet open(ProbeConfig config, Map<String, String> refused) throws IOException {
        KernelHooks hooks = KernelHooks.detect(Btf.vmlinux(), BpfObjects.read(BpfObjects.FEATURES),
                config.cgroupRoot().or(Cgroup2Mount::find));
        return open(config, hooks, BpfObjects.read(BpfObjects.NETWATCHER), refused);
    }

    private static ProbeSet open(ProbeConfig config, KernelHooks hooks, byte[] elf, Map<String, String> refused) {
        Btf objBtf = Btf.ofObject(elf);
        int cfgOffset = objBtf.varOffset(".rodata", "targ_cfg")
                .orElseThrow(() -> new IllegalStateException("targ_cfg not found in .rodata"));
        Rodata flags = Rodata.of(elf);
        List<BenignDrops.Entry> benign = BenignDrops.resolve(DropReasons.fromBtf(hooks.vmlinux()),
                KernelSymbols.load(Path.of("/proc/kallsyms")), Layouts.BENIGN_MAX);
        Map<String, String> rejected = new HashMap<>(refused);
        for (int attempt = 1; ; attempt++) {
            BpfObject obj = BpfObject.open("netwatcher", elf);
            try {
                Map<Boundary, Plan> plans = plan(obj, hooks, config, rejected);
                boolean cgroupTransport = plans.get(Boundary.RX_TRANSPORT).kind == HookKind.CGROUP_SKB;
                boolean iterator = plans.get(Boundary.CONN_SNAPSHOT).kind == HookKind.ITERATOR;
                if (cgroupTransport && iterator) {
                    plans.put(Boundary.RX_TCP, Plan.unused("rx.transport parks packets and conn.snapshot walks"
                            + " sockets"));
                }
                rideOrOwn(plans);
                Set<String> enabled = new LinkedHashSet<>();
                plans.values().forEach(p -> enabled.addAll(p.programs));
                for (BpfProgram p : obj.programs().values()) {
                    p.setAutoload(enabled.contains(p.name()));
                    if (enabled.contains(p.name()) && HookKind.ofSection(p.section()) == HookKind.NETFILTER) {
                        p.setType(BpfProgram.BPF_PROG_TYPE_NETFILTER, BpfProgram.BPF_NETFILTER);
                    }
                }
                configure(obj, config, cfgOffset, !iterator, !cgroupTransport);
                flags.write(obj.rodata(), config.benignDropEvents(), benign,
                        !plans.get(Boundary.ERR_DROP).programs.isEmpty(),
                        plans.get(Boundary.CONN_CLIENT_OPEN).kind == HookKind.SOCKOPS, config.stateEvents(),
                        config.udp(), config.icmp());
                flags.writeDns(obj.rodata(), config.dns());
                obj.load();
                KernelMaps maps = KernelMaps.of(obj);
                maps.control().setTimeEvery(config.timeEvery());
                Map<String, BpfLink> iterators = new HashMap<>();
                NetfilterLinks[] netfilter = new NetfilterLinks[1];
                List<Attachment> attachments = attach(obj, plans, hooks, iterators, netfilter);
                return new ProbeSet(obj, maps, attachments, hooks.withoutBtf(), iterators, netfilter[0]);
            } catch (BpfException e) {
                String failed = obj.failedProgram().orElse(null);
                obj.close();
                if (failed == null || attempt >= MAX_LOAD_ATTEMPTS) {
                    throw e;
                }
                String reason = e.getMessage().lines().findFirst().orElse("") + "; verifier log tail: "
                        + tail(e.getMessage());
                LOG.warn("program {} rejected by the verifier, retrying without it: {}", failed, reason);
                rejected.put(failed, "rejected by the verifier: " + e.getMessage().lines().findFirst().orElse(""));
            } catch (RuntimeException e) {
                obj.close();
                throw e;
            }
        }
    }

    private static String tail(String msg) {
        List<String> lines = msg.lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    /** The chosen backing of one boundary; programs empty when none is possible (see reason). */
    record Plan(HookKind kind, List<String> programs, String reason, boolean unused, boolean all) {
        Plan(HookKind kind, List<String> programs, String reason) {
            this(kind, programs, reason, false, false);
        }

        static Plan unused(String why) {
            return new Plan(null, List.of(), why, true, false);
        }
    }

    static Map<Boundary, Plan> plan(BpfObject obj, KernelHooks hooks, ProbeConfig config,
                                    Map<String, String> rejected) {
        Map<Boundary, Plan> plans = new LinkedHashMap<>();
        for (Boundary b : Boundary.values()) {
            if (b.isIcmp() && !config.icmp()) {
                plans.put(b, Plan.unused("ICMP programs off (--no-icmp)"));
                continue;
            }
            if (b.isDns() && !config.dns().enabled()) {
                plans.put(b, Plan.unused("DNS programs off (--no-dns)"));
                continue;
            }
            if (b.isUdp() && !config.udp()) {
                plans.put(b, Plan.unused("UDP off (--no-udp)"));
                continue;
            }
            if (b.isNetfilter() && !config.netfilterTimes()) {
                plans.put(b, Plan.unused("netfilter hook times off (--netfilter-times turns them on)"));
                continue;
            }
            List<Boundary.Candidate> order = new ArrayList<>(b.candidates());
            config.preferHook().ifPresent(k -> order.sort((x, y) -> Boolean.compare(y.kind() == k, x.kind() == k)));
            List<String> reasons = new ArrayList<>();
            Plan chosen = null;
            for (Boundary.Candidate c : order) {
                List<String> usable = new ArrayList<>();
                for (Boundary.ProgramRef ref : c.programs()) {
                    BpfProgram p = obj.program(ref.name());
                    String problem = rejected.containsKey(ref.name()) ? rejected.get(ref.name())
                            : hooks.problem(p, ref);
                    if (problem == null) {
                        usable.add(ref.name());
                    } else {
                        reasons.add(ref.name() + ": " + problem);
                    }
                }
                if (c.backsWith(usable)) {
                    chosen = new Plan(c.kind(), usable, String.join("; ", reasons), false, c.all());
                    break;
                }
            }
            plans.put(b, chosen != null ? chosen : new Plan(null, List.of(), String.join("; ", reasons)));
        }
        return plans;
    }

    /**
     * A boundary riding in another's program (UDP reads in rx.read's, DNS responses in
     * rx.transport's) takes a program of its own where that boundary is backed by something else
     * (--prefer-hook fentry, an older kernel, or a twin after the verifier refused the shared
     * program): the shared program is then not loaded.
     */
    private record Ride(Boundary rider, Boundary host, String shared, String own) {
    }

    private static final List<Ride> RIDES = List.of(
            new Ride(Boundary.UDP_READ, Boundary.RX_READ, "tp_sock_recv_length", "tp_udp_recv_length"),
            new Ride(Boundary.DNS_INGRESS, Boundary.RX_TRANSPORT, "cg_ingress", "cg_dns_ingress"));

    private static void rideOrOwn(Map<Boundary, Plan> plans) {
        for (Ride r : RIDES) {
            Plan rider = plans.get(r.rider());
            if (rider.programs.contains(r.shared()) && !plans.get(r.host()).programs.contains(r.shared())) {
                plans.put(r.rider(), new Plan(rider.kind, List.of(r.own()),
                        r.host().id() + " is not on " + r.shared()));
            }
        }
    }

    private static void configure(BpfObject obj, ProbeConfig c, int off, boolean snapshotOnSegments,
                                  boolean parkAtTcp) {
        ByteBuffer ro = obj.rodata();
        ro.putInt(off + Layouts.Config.SAMPLE_EVERY, c.sampleEvery());
        ro.putInt(off + Layouts.Config.MAX_EVENTS_PER_SEC, c.maxEventsPerSec());
        ro.putInt(off + Layouts.Config.MAX_ERRORS_PER_SEC, c.maxErrorsPerSec());
        SocketFilter f = c.filter();
        ro.putInt(off + Layouts.Config.FILTER_UID, (int) (f.uid() + 1));
        for (int i = 0; i < Layouts.PORTS_MAX; i++) {
            ro.putShort(off + Layouts.Config.FILTER_SPORT + 2 * i,
                    (short) (i < f.localPorts().size() ? f.localPorts().get(i) : 0));
            ro.putShort(off + Layouts.Config.FILTER_DPORT + 2 * i,
                    (short) (i < f.remotePorts().size() ? f.remotePorts().get(i) : 0));
        }
        ro.put(off + Layouts.Config.HTTP, (byte) (c.http() ? 1 : 0));
        ro.put(off + Layouts.Config.CONN_SNAPSHOT, (byte) (snapshotOnSegments ? 1 : 0));
        ro.put(off + Layouts.Config.RX_PARK_AT_TCP, (byte) (parkAtTcp ? 1 : 0));
        ro.putLong(off + Layouts.Config.SNAPSHOT_NS, c.snapshotNs());
        EventRing.setSize(obj, c.ringBufferBytes());
        ConnectionMap.setCapacity(obj, c.maxConnections());
        // one seed per socket the file walk finds, stored by the walk over sockets right after
        obj.map("owner_seeds").setMaxEntries(Math.max(1024, c.maxConnections()));
    }

    private static List<Attachment> attach(BpfObject obj, Map<Boundary, Plan> plans, KernelHooks hooks,
                                           Map<String, BpfLink> iterators, NetfilterLinks[] netfilter) {
        Map<String, String> attachErrors = new HashMap<>();
        Set<String> attached = new LinkedHashSet<>();
        List<Attachment> out = new ArrayList<>();
        for (Map.Entry<Boundary, Plan> e : plans.entrySet()) {
            Plan plan = e.getValue();
            if (plan.unused) {
                out.add(new Attachment(e.getKey(), Attachment.Status.UNUSED, null, List.of(), plan.reason));
                continue;
            }
            if (plan.programs.isEmpty()) {
                out.add(new Attachment(e.getKey(), Attachment.Status.UNAVAILABLE, null, List.of(), plan.reason));
                continue;
            }
            if (plan.kind == HookKind.NETFILTER) {
                out.add(attachNetfilter(obj, e.getKey(), plan, netfilter));
                continue;
            }
            List<String> ok = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            Map<String, BpfLink> made = new LinkedHashMap<>(); // by this boundary, not an earlier one
            for (String name : plan.programs) {
                if (!attached.contains(name) && !attachErrors.containsKey(name)) {
                    try {
                        BpfProgram p = obj.program(name);
                        BpfLink link;
                        if (plan.kind == HookKind.CGROUP_SKB || plan.kind == HookKind.SOCKOPS) {
                            link = p.attachCgroup(hooks.cgroup2().orElseThrow());
                        } else if (plan.kind == HookKind.ITERATOR) {
                            link = p.attachIterator();
                            link.runIterator(); // learn what existed before the agent started
                            iterators.put(name, link);
                        } else {
                            link = p.attach();
                        }
                        made.put(name, link);
                        attached.add(name);
                    } catch (RuntimeException ex) {
                        attachErrors.put(name, ex.getMessage());
                    }
                }
                if (attached.contains(name)) {
                    ok.add(name);
                } else {
                    errors.add(name + ": " + attachErrors.get(name));
                }
            }
            if (!ok.isEmpty() && plan.all && ok.size() < plan.programs.size()) {
                for (Map.Entry<String, BpfLink> m : made.entrySet()) { // half a backing that needs all of it
                    m.getValue().close();
                    iterators.remove(m.getKey());
                    attached.remove(m.getKey());
                    attachErrors.put(m.getKey(), "detached: " + e.getKey().id() + " needs all of " + plan.programs);
                }
                errors.add("detached " + made.keySet() + ": the backing needs all of its programs");
                ok.clear();
            }
            Attachment a = ok.isEmpty()
                    ? new Attachment(e.getKey(), Attachment.Status.FAILED, plan.kind, plan.programs,
                    String.join("; ", errors))
                    : new Attachment(e.getKey(), Attachment.Status.ATTACHED, plan.kind, ok,
                    join(String.join("; ", errors), plan.reason.isEmpty() ? "" : "not used: " + plan.reason));
            out.add(a);
        }
        return out;
    }

    /** Links the netfilter programs in the agent's own namespace (the host's); others follow as found. */
    private static Attachment attachNetfilter(BpfObject obj, Boundary b, Plan plan, NetfilterLinks[] out) {
        NetfilterLinks links = new NetfilterLinks(obj.program("nf_first"), obj.program("nf_last"));
        try {
            links.attachHere(Netns.inode(Path.of("/proc/thread-self/ns/net")));
        } catch (IOException | RuntimeException ex) {
            links.close();
            return new Attachment(b, Attachment.Status.FAILED, plan.kind, plan.programs, ex.getMessage());
        }
        out[0] = links;
        return new Attachment(b, Attachment.Status.ATTACHED, plan.kind, plan.programs,
                "in the agent's network namespace; others as they are found");
    }

    /**
     * The netfilter links of the hook-time programs (link them in each network namespace); empty when
     * netfilter hook times are off or could not be linked.
     */
    public Optional<NetfilterLinks> netfilterLinks() {
        return Optional.ofNullable(netfilter);
    }

    /**
     * Times the layers of one packet in {@code every} from now on (picked at each packet's first
     * hook; 1 = every packet, 0 = none).
     */
    public void setTimeEvery(int every) {
        if (every < 0 || every > ProbeConfig.MAX_TIME_EVERY) {
            throw new IllegalArgumentException("time every must be 0.." + ProbeConfig.MAX_TIME_EVERY);
        }
        maps.control().setTimeEvery(every);
    }

    /**
     * The it_tcp iterator when connection counters are refreshed by walking the sockets (run it
     * in each network namespace); empty when they are refreshed on received segments instead.
     */
    public Optional<BpfLink> connectionIterator() {
        return Optional.ofNullable(iterators.get("it_tcp"));
    }

    /**
     * The it_task_file iterator, which finds the process holding each socket without an owner,
     * then the it_tcp_owner iterator, which gives those sockets their owner (run it in each network
     * namespace after the first); empty when the kernel cannot walk processes' files.
     */
    public Optional<List<BpfLink>> ownerIterators() {
        BpfLink files = iterators.get("it_task_file");
        BpfLink sockets = iterators.get("it_tcp_owner");
        return files == null || sockets == null ? Optional.empty() : Optional.of(List.of(files, sockets));
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "; " + b;
    }

    public List<Attachment> attachments() {
        return attachments;
    }

    public KernelHooks hooks() {
        return hooks;
    }

    /** The views of the loaded object's maps. */
    public KernelMaps maps() {
        return maps;
    }

    public BpfObject object() {
        return object;
    }

    /**
     * Run time and run count of every loaded program (from fdinfo; counted while bpf_stats is on).
     * Throws {@link BpfClosedException} once the probes are closed.
     */
    public Map<String, RunStats> runStats() {
        return object.guarded("program run statistics", () -> { // the fds stay the programs' while fdinfo is read
            Map<String, RunStats> out = new LinkedHashMap<>();
            for (BpfProgram p : object.programs().values()) {
                if (!p.autoload()) {
                    continue;
                }
                try {
                    out.put(p.name(), RunStats.read(Path.of("/proc/self/fdinfo/" + p.fd())));
                } catch (IOException | RuntimeException e) {
                    LOG.debug("no run stats for {}: {}", p.name(), e.toString());
                }
            }
            return out;
        });
    }

    /**
     * Runs the kernel skipped, per loaded program: a program does not nest on one CPU, so an
     * invocation from an interrupt while it is already running there is dropped and counted
     * (fdinfo recursion_misses, v5.12+). Counted whether or not bpf_stats is on.
     */
    public Map<String, Long> recursionMisses() {
        return object.guarded("program recursion misses", () -> { // the fds stay the programs' while read
            Map<String, Long> out = new LinkedHashMap<>();
            for (BpfProgram p : object.programs().values()) {
                if (!p.autoload()) {
                    continue;
                }
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + p.fd()))) {
                        if (line.startsWith("recursion_misses:")) {
                            out.put(p.name(), Long.parseLong(line.substring(17).trim()));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.debug("no recursion misses for {}: {}", p.name(), e.toString());
                }
            }
            return out;
        });
    }

    /** A program's cumulative run time and count. */
    public record RunStats(long runTimeNs, long runCount) {
        static RunStats read(Path fdinfo) throws IOException {
            long t = 0;
            long c = 0;
            for (String line : Files.readAllLines(fdinfo)) {
                if (line.startsWith("run_time_ns:")) {
                    t = Long.parseLong(line.substring(12).trim());
                } else if (line.startsWith("run_cnt:")) {
                    c = Long.parseLong(line.substring(8).trim());
                }
            }
            return new RunStats(t, c);
        }
    }

    @Override
    public void close() {
        if (netfilter != null) {
            netfilter.close();
        }
        object.close();
    }

    /**
     * Detaches and frees the probes once the map reads and program queries in flight on other
     * threads have returned, waiting at most {@code timeoutMs}; later ones throw
     * {@link BpfClosedException}. False when calls were still in flight (the
     * probes then go with the process).
     */
    public boolean close(long timeoutMs) {
        if (netfilter != null) {
            netfilter.close(); // links are not the object's: they would outlive it (and pin namespaces)
        }
        return object.close(timeoutMs);
    }
}
