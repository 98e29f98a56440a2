package io.netwatcher.testing;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A steady TCP load in processes of their own (so each side can live in a cgroup of its own, a test
 * "pod"), run until killed:
 * <pre>
 *   serve ADDR PORT              accept one connection and read it as data comes; print "listening",
 *                                then "accepted"; a line "slow MS" on stdin makes it wait MS ms before
 *                                each read from then on (a slow reader)
 *   send ADDR PORT SIZE N PAUSE_MS  connect (TCP_NODELAY), print "connected", then every PAUSE_MS ms
 *                                write SIZE bytes N times in a row (a burst of N segments)
 * </pre>
 */
public final class PacedPeer {
    private PacedPeer() {}

    private static volatile long readDelayMs;

    public static void main(String[] args) throws Exception {
        InetAddress addr = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        if (args[0].equals("serve")) {
            serve(addr, port);
        } else {
            send(addr, port, Integer.parseInt(args[3]), Integer.parseInt(args[4]), Long.parseLong(args[5]));
        }
    }

    private static void serve(InetAddress addr, int port) throws Exception {
        Thread control = new Thread(() -> {
            try {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("slow ")) {
                        readDelayMs = Long.parseLong(line.substring(5).strip());
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "control");
        control.setDaemon(true);
        control.start();
        try (ServerSocket ss = new ServerSocket()) {
            ss.bind(new InetSocketAddress(addr, port), 8);
            System.out.println("listening");
            System.out.flush();
            try (Socket s = ss.accept()) {
                System.out.println("accepted");
                System.out.flush();
                byte[] buf = new byte[1 << 20];
                InputStream in = s.getInputStream();
                while (in.read(buf) > 0) {
                    long delay = readDelayMs;
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                }
            }
        }
    }

    private static void send(InetAddress addr, int port, int size, int n, long pauseMs) throws Exception {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(addr, port), 5000);
            System.out.println("connected");
            System.out.flush();
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[size];
            long next = System.nanoTime();
            while (true) {
                for (int i = 0; i < n; i++) {
                    out.write(chunk);
                }
                next += TimeUnit.MILLISECONDS.toNanos(pauseMs);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime(); // fell behind (a blocked write): no burst to catch up
                }
            }
        }
    }
}
