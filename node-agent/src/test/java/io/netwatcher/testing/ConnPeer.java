package io.netwatcher.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many TCP connections from a process of its own (so that it can live in a cgroup of its own):
 * <pre>
 *   serve ADDR PORT                 accept forever; read each connection to EOF, then close it
 *   hold ADDR PORT N                open N connections, print "open N", wait for a line on stdin,
 *                                   close them all, print "closed N"
 *   churn ADDR PORT N THREADS       N short connections (connect, send a byte, close) from THREADS
 *                                   threads, print "done N"
 *   attempts ADDR PORT N [ADDR PORT N]...
 *                                   N connect() calls to each ADDR PORT in turn, each socket closed
 *                                   right after; print "connected C refused R other O" per target
 * </pre>
 */
public final class ConnPeer {
    private ConnPeer() {}

    public static void main(String[] args) throws Exception {
        InetAddress addr = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        switch (args[0]) {
            case "serve" -> serve(addr, port);
            case "hold" -> hold(addr, port, Integer.parseInt(args[3]));
            case "churn" -> churn(addr, port, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "attempts" -> attempts(args);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void serve(InetAddress addr, int port) throws IOException {
        try (ServerSocket ss = new ServerSocket()) {
            ss.bind(new InetSocketAddress(addr, port), 1024);
            System.out.println("listening");
            System.out.flush();
            while (true) {
                Socket s = ss.accept();
                Thread t = new Thread(() -> {
                    try (s; InputStream in = s.getInputStream()) {
                        byte[] buf = new byte[4096];
                        while (in.read(buf) >= 0) {
                            // drain to EOF
                        }
                    } catch (IOException e) {
                        // the peer reset: the connection is over either way
                    }
                });
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void hold(InetAddress addr, int port, int n) throws IOException {
        List<Socket> open = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(addr, port), 5000);
            open.add(s);
        }
        System.out.println("open " + n);
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        for (Socket s : open) {
            s.close();
        }
        System.out.println("closed " + n);
        System.out.flush();
    }

    private static void attempts(String[] args) throws IOException {
        for (int i = 1; i + 2 < args.length; i += 3) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(args[i]), Integer.parseInt(args[i + 1]));
            int connected = 0;
            int refused = 0;
            int other = 0;
            for (int n = Integer.parseInt(args[i + 2]); n > 0; n--) {
                try (Socket s = new Socket()) {
                    s.connect(to, 5000);
                    connected++;
                } catch (ConnectException e) {
                    refused++;
                } catch (IOException e) {
                    other++;
                }
            }
            System.out.println("connected " + connected + " refused " + refused + " other " + other);
        }
        System.out.flush();
    }

    private static void churn(InetAddress addr, int port, int n, int threads) throws Exception {
        AtomicInteger left = new AtomicInteger(n);
        AtomicInteger failed = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                while (left.getAndDecrement() > 0) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(addr, port), 5000);
                        s.getOutputStream().write(1);
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                }
            });
            w.start();
            workers.add(w);
        }
        for (Thread w : workers) {
            w.join();
        }
        System.out.println(failed.get() == 0 ? "done " + n : "failed " + failed.get() + " of " + n);
        System.out.flush();
    }
}
