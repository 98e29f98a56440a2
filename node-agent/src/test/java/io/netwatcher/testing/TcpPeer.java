package io.netwatcher.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP peer in its own process, so that it can live in a cgroup of its own (a test "pod"):
 * <pre>
 *   serve ADDR PORT          accept one connection, read to EOF, print "received N", close
 *   send ADDR PORT N CHUNKS PAUSE_MS   send N bytes in CHUNKS writes PAUSE_MS apart, then half-close,
 *                            wait for EOF, print "sent N"
 * </pre>
 */
public final class TcpPeer {
    private TcpPeer() {}

    public static void main(String[] args) throws Exception {
        InetAddress addr = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        if (args[0].equals("serve")) {
            try (ServerSocket ss = new ServerSocket()) {
                ss.bind(new InetSocketAddress(addr, port), 8);
                System.out.println("listening");
                System.out.flush();
                try (Socket s = ss.accept()) {
                    long n = 0;
                    byte[] buf = new byte[65536];
                    InputStream in = s.getInputStream();
                    for (int r; (r = in.read(buf)) > 0; ) {
                        n += r;
                    }
                    System.out.println("received " + n);
                }
            }
        } else {
            long total = Long.parseLong(args[3]);
            int chunks = Integer.parseInt(args[4]);
            long pauseMs = Long.parseLong(args[5]);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(addr, port), 5000);
                OutputStream out = s.getOutputStream();
                long sent = 0;
                for (int i = 0; i < chunks; i++) {
                    long n = (total - sent) / (chunks - i);
                    out.write(new byte[(int) n]);
                    out.flush();
                    sent += n;
                    if (i < chunks - 1) {
                        Thread.sleep(pauseMs);
                    }
                }
                s.shutdownOutput();
                if (s.getInputStream().read() != -1) {
                    throw new IOException("expected EOF");
                }
                System.out.println("sent " + sent);
            }
        }
    }

    /** The command line that runs this class in a new JVM ({@code ip netns exec} style). */
    public static List<String> command(String... args) {
        return java(TcpPeer.class, args);
    }

    /** The command line that runs {@code main} of a test class in a new JVM. */
    public static List<String> java(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(classes());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String classes() {
        try {
            return Path.of(TcpPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
