package io.netwatcher.testing;

import io.netwatcher.bpf.Libc;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two test hosts in their own network namespaces joined by a veth pair: host A at
 * 198.18.N.1 / 2001:db8:N::1 and host B at 198.18.N.2 / 2001:db8:N::2. Everything is removed by
 * {@link #close()} (deleting a namespace deletes its veth end and its nft tables), and by a
 * shutdown hook if a test dies first. Namespaces left by a killed run are removed on the next.
 */
public final class TestNet implements AutoCloseable {
    private static final String PREFIX = "nwt";
    private static final AtomicInteger NEXT = new AtomicInteger(1);
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(TestNet::deleteNs), "testnet-cleanup"));
    }

    private final Host a;
    private final Host b;

    private TestNet(Host a, Host b) {
        this.a = a;
        this.b = b;
    }

    /** Creates the two hosts and the link between them. */
    public static TestNet create() {
        removeStale();
        int n = NEXT.getAndIncrement();
        String tag = PREFIX + ProcessHandle.current().pid() % 100000 + "x" + n;
        Host a = new Host(tag + "a", n, 1);
        Host b = new Host(tag + "b", n, 2);
        TestNet net = new TestNet(a, b);
        try {
            for (Host h : List.of(a, b)) {
                Sh.ok("ip", "netns", "add", h.name);
                LIVE.add(h.name);
            }
            Sh.ok("ip", "link", "add", a.iface, "netns", a.name, "type", "veth", "peer", "name", b.iface, "netns", b.name);
            for (Host h : List.of(a, b)) {
                Sh.ok("ip", "-n", h.name, "link", "set", "lo", "up");
                Sh.ok("ip", "-n", h.name, "addr", "add", h.ipv4 + "/24", "dev", h.iface);
                Sh.ok("ip", "-n", h.name, "-6", "addr", "add", h.ipv6 + "/64", "dev", h.iface, "nodad");
                Sh.ok("ip", "-n", h.name, "link", "set", h.iface, "up");
            }
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return net;
    }

    /** Deletes namespaces of earlier runs that were killed before cleaning up. */
    static void removeStale() {
        for (String line : Sh.run("ip", "netns", "list").out().split("\n")) {
            String name = line.split(" ")[0];
            if (name.startsWith(PREFIX) && !LIVE.contains(name)) {
                String pidPart = name.substring(PREFIX.length(), name.indexOf('x') > 0 ? name.indexOf('x') : name.length());
                if (!pidPart.equals(Long.toString(ProcessHandle.current().pid() % 100000))) {
                    deleteNs(name);
                }
            }
        }
    }

    private static void deleteNs(String name) {
        Sh.run("ip", "netns", "del", name);
        LIVE.remove(name);
    }

    public Host a() {
        return a;
    }

    public Host b() {
        return b;
    }

    @Override
    public void close() {
        a.executor.shutdownNow();
        b.executor.shutdownNow();
        deleteNs(a.name);
        deleteNs(b.name);
    }

    /** One test host: a network namespace with one veth end. */
    public static final class Host {
        private final String name;
        private final String iface;
        private final String ipv4;
        private final String ipv6;
        private final ExecutorService executor;

        Host(String name, int net, int host) {
            this.name = name;
            this.iface = "v" + name;
            this.ipv4 = "198.18." + net + "." + host;
            this.ipv6 = "2001:db8:" + Integer.toHexString(net) + "::" + host;
            this.executor = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(() -> {
                    Libc.setNetns("/run/netns/" + name);
                    r.run();
                }, "nw-" + name);
                t.setDaemon(true);
                return t;
            });
        }

        public String name() {
            return name;
        }

        public String iface() {
            return iface;
        }

        public String ipv4() {
            return ipv4;
        }

        public String ipv6() {
            return ipv6;
        }

        public InetAddress address(boolean v6) {
            try {
                return InetAddress.getByName(v6 ? ipv6 : ipv4);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Runs {@code task} on a thread inside this host's namespace (its sockets live there). */
        public <T> Future<T> submit(Callable<T> task) {
            return executor.submit(task);
        }

        /** Runs a command inside the namespace. */
        public String exec(String... cmd) {
            List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
            c.addAll(List.of(cmd));
            return Sh.ok(c);
        }

        public Sh.Result tryExec(String... cmd) {
            List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
            c.addAll(List.of(cmd));
            return Sh.run(c.toArray(String[]::new));
        }

        /** Adds an nftables table "nwt" with an input and an output chain, if missing. */
        public void nftTable() {
            exec("nft", "add", "table", "inet", "nwt");
            exec("nft", "add chain inet nwt input { type filter hook input priority 0; }");
            exec("nft", "add chain inet nwt output { type filter hook output priority 0; }");
        }

        /** Adds a rule to chain input or output of table nwt, e.g. {@code "tcp dport 80 drop"}. */
        public void nftRule(String chain, String rule) {
            exec("nft", "add rule inet nwt " + chain + " " + rule);
        }

        public void nftFlush() {
            tryExec("nft", "delete", "table", "inet", "nwt");
        }

        /** TCP sockets as `ss -tienH` shows them in this namespace. */
        public List<SsSocket> ss() {
            return SsSocket.parse(exec("ss", "-tienHO"));
        }
    }
}
