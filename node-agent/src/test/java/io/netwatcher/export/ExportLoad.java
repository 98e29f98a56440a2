package io.netwatcher.export;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.netwatcher.cgroup.Cgroup2Mount;
import io.netwatcher.kube.KubeFixtures;
import io.netwatcher.testing.OtlpReceiver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

/**
 * The load of {@code bench/export-load.sh}: a node with many pods and connections.
 * <pre>
 *   api PODS CLUSTER_PODS NODE KUBECONFIG CGROUPS_FILE   an API server (fabric8 mock, CRUD) knowing
 *        PODS pods on NODE (kubelet cgroupfs cgroups created for each, listed in CGROUPS_FILE) and
 *        CLUSTER_PODS elsewhere; an OTLP/HTTP receiver; prints "otlp URL" and "ready"; stops (and
 *        removes the cgroups) when stdin closes
 *   servers CGROUPS_FILE BASE_PORT        one echo listener per pod, created inside the pod's cgroup
 *   clients CGROUPS_FILE BASE_PORT CONNS_PER_POD MSGS_PER_SEC BYTES
 *        CONNS_PER_POD connections from each pod (created in its cgroup) to the next pods' listeners,
 *        MSGS_PER_SEC requests of BYTES in total, spread evenly over the connections
 * </pre>
 * Sockets belong to the cgroup of the process that created them (accepted ones to their
 * listener's), so one process can play every pod by moving itself from cgroup to cgroup.
 */
public final class ExportLoad {
    private ExportLoad() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "api" -> api(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3], Path.of(args[4]),
                    Path.of(args[5]));
            case "servers" -> servers(Files.readAllLines(Path.of(args[1])), Integer.parseInt(args[2]));
            case "clients" -> clients(Files.readAllLines(Path.of(args[1])), Integer.parseInt(args[2]),
                    Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            default -> throw new IllegalArgumentException("api, servers or clients");
        }
    }

    static String ip(int n) {
        return "10." + (64 + (n >> 16)) + "." + ((n >> 8) & 255) + "." + (n & 255);
    }

    private static void api(int pods, int clusterPods, String node, Path kubeconfig, Path cgroupsFile)
            throws Exception {
        Path mount = Cgroup2Mount.find().orElseThrow();
        KubernetesMockServer api = KubeFixtures.crudServer(0);
        List<Path> cgroups = new ArrayList<>();
        try (KubernetesClient c = api.createClient(); OtlpReceiver otlp = OtlpReceiver.http()) {
            for (int n = 0; n < pods; n++) {
                String cid = KubeFixtures.containerId(n + 1);
                Pod p = c.pods().resource(KubeFixtures.deploymentPod("team" + (n % 10), "app" + (n % 40),
                        "app" + (n % 40) + "-7c9d5f8b6-" + String.format("%05d", n), "x", node, ip(n), "main", cid))
                        .create();
                Path cg = mount.resolve("kubepods/besteffort/pod" + p.getMetadata().getUid() + "/" + cid);
                Files.createDirectories(cg);
                cgroups.add(cg);
            }
            for (int n = 0; n < clusterPods; n++) {
                c.pods().resource(KubeFixtures.deploymentPod("team" + (n % 10), "remote" + (n % 400),
                        "remote" + (n % 400) + "-7c9d5f8b6-" + String.format("%05d", n), "x", "other-node",
                        ip(pods + n), "main", KubeFixtures.containerId(pods + n + 1))).create();
            }
            for (int n = 0; n < 100; n++) {
                c.services().resource(KubeFixtures.service("team" + (n % 10), "svc" + n,
                        "172.20." + (n >> 8) + "." + (n & 255))).create();
            }
            Files.write(cgroupsFile, cgroups.stream().map(Path::toString).toList());
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: bench
                      cluster:
                        server: http://127.0.0.1:%d
                    contexts:
                    - name: bench
                      context: {cluster: bench, user: bench}
                    current-context: bench
                    users:
                    - name: bench
                      user: {token: bench}
                    """.formatted(api.getPort()));
            System.out.println("otlp " + otlp.endpoint());
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // until stdin closes
            }
            System.out.println("otlp requests " + otlp.requests() + ", metrics " + otlp.metrics().size() + ", spans "
                    + otlp.spans().size());
        } finally {
            api.destroy();
            for (Path cg : cgroups) {
                for (int i = 0; i < 50 && Files.isDirectory(cg); i++) {
                    try {
                        Files.delete(cg);
                        Files.deleteIfExists(cg.getParent());
                    } catch (IOException e) {
                        Thread.sleep(100);
                    }
                }
            }
            for (String dir : new String[] {"kubepods/besteffort", "kubepods"}) {
                try {
                    Files.deleteIfExists(mount.resolve(dir));
                } catch (IOException e) {
                    // still in use by something else
                }
            }
        }
    }

    /** Moves this whole process into a cgroup: the sockets it creates next are that cgroup's. */
    private static void enter(String cgroup) throws IOException {
        Files.writeString(Path.of(cgroup, "cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
    }

    private static void servers(List<String> cgroups, int basePort) throws Exception {
        Selector sel = Selector.open();
        for (int i = 0; i < cgroups.size(); i++) {
            enter(cgroups.get(i));
            ServerSocketChannel ss = ServerSocketChannel.open();
            ss.bind(new InetSocketAddress("127.0.0.1", basePort + i), 1024);
            ss.configureBlocking(false);
            ss.register(sel, SelectionKey.OP_ACCEPT);
        }
        System.out.println("listening");
        System.out.flush();
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        while (true) {
            sel.select();
            for (Iterator<SelectionKey> it = sel.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey k = it.next();
                it.remove();
                if (k.isAcceptable()) {
                    SocketChannel s;
                    while ((s = ((ServerSocketChannel) k.channel()).accept()) != null) {
                        s.configureBlocking(false);
                        s.register(sel, SelectionKey.OP_READ);
                    }
                } else if (k.isReadable()) {
                    SocketChannel s = (SocketChannel) k.channel();
                    buf.clear();
                    int n = s.read(buf);
                    if (n < 0) {
                        k.cancel();
                        s.close();
                        continue;
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        s.write(buf); // small echoes fit the send buffer
                    }
                }
            }
        }
    }

    private static void clients(List<String> cgroups, int basePort, int perPod, int msgsPerSec, int bytes)
            throws Exception {
        List<SocketChannel> conns = new ArrayList<>();
        for (int i = 0; i < cgroups.size(); i++) {
            enter(cgroups.get(i));
            for (int j = 0; j < perPod; j++) {
                int target = (i + 1 + j % (cgroups.size() - 1)) % cgroups.size();
                SocketChannel s = SocketChannel.open(new InetSocketAddress("127.0.0.1", basePort + target));
                s.configureBlocking(false);
                conns.add(s);
            }
        }
        System.out.println("connected " + conns.size());
        System.out.flush();
        Selector sel = Selector.open();
        for (SocketChannel s : conns) {
            s.register(sel, SelectionKey.OP_READ);
        }
        ByteBuffer msg = ByteBuffer.wrap(("x".repeat(bytes - 1) + "\n").getBytes(StandardCharsets.US_ASCII));
        ByteBuffer in = ByteBuffer.allocateDirect(65536);
        long start = System.nanoTime();
        long sent = 0;
        int next = 0;
        while (true) {
            long due = (System.nanoTime() - start) * msgsPerSec / 1_000_000_000L;
            for (; sent < due; sent++) {
                SocketChannel s = conns.get(next);
                next = (next + 1) % conns.size();
                msg.rewind();
                s.write(msg);
            }
            sel.select(5);
            for (Iterator<SelectionKey> it = sel.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey k = it.next();
                it.remove();
                in.clear();
                if (((SocketChannel) k.channel()).read(in) < 0) {
                    k.cancel();
                }
            }
        }
    }

    static String uid() {
        return UUID.randomUUID().toString();
    }
}
