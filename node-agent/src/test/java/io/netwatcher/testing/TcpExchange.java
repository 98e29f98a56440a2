package io.netwatcher.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One TCP connection between the test hosts with exact byte counts: the client (on host B, in a
 * thread named {@link #CLIENT_THREAD}) sends {@code up} bytes, the server (host A) reads them and
 * sends {@code down} bytes back, then both close. Before closing, the client side's `ss` view
 * of its socket is captured (after the peer acknowledged everything).
 */
public final class TcpExchange {
    public static final String CLIENT_THREAD = "nw-client";
    public static final String SERVER_THREAD = "nw-server";

    /** What happened: the ports and the kernel's view of the client socket before close. */
    public record Result(int serverPort, int clientPort, SsSocket clientBeforeClose, SsSocket serverBeforeClose) {
    }

    private TcpExchange() {}

    public static Result run(TestNet net, boolean v6, int port, long up, long down) throws Exception {
        return run(net, v6, port, up, down, (c, s) -> { });
    }

    /**
     * {@code beforeClose} runs in the client thread right after `ss` was read, once both sides
     * are done and before close, with the client's and the server's socket as ss saw them.
     */
    public static Result run(TestNet net, boolean v6, int port, long up, long down,
                             BiConsumer<SsSocket, SsSocket> beforeClose)
            throws Exception {
        InetAddress serverAddr = net.a().address(v6);
        CountDownLatch listening = new CountDownLatch(1);
        CountDownLatch serverRead = new CountDownLatch(1);
        CountDownLatch clientDone = new CountDownLatch(1);
        Future<Void> server = net.a().submit(() -> {
            Thread.currentThread().setName(SERVER_THREAD);
            try (ServerSocket ss = new ServerSocket()) {
                ss.bind(new InetSocketAddress(serverAddr, port), 16);
                listening.countDown();
                try (Socket s = ss.accept()) {
                    s.setSoTimeout(30_000);
                    readExactly(s.getInputStream(), up);
                    serverRead.countDown();
                    writeBytes(s.getOutputStream(), down);
                    clientDone.await(30, TimeUnit.SECONDS);
                    if (s.getInputStream().read() != -1) {
                        throw new IOException("expected EOF from the client");
                    }
                }
            }
            return null;
        });
        if (!listening.await(10, TimeUnit.SECONDS)) {
            server.get(1, TimeUnit.SECONDS);
            throw new IllegalStateException("server did not start");
        }
        Future<Result> client = net.b().submit(() -> {
            Thread.currentThread().setName(CLIENT_THREAD);
            try (Socket s = new Socket()) {
                s.setSoTimeout(30_000);
                s.connect(new InetSocketAddress(serverAddr, port), 10_000);
                writeBytes(s.getOutputStream(), up);
                readExactly(s.getInputStream(), down);
                if (!serverRead.await(60, TimeUnit.SECONDS)) {
                    throw new IOException("server did not read everything");
                }
                Thread.sleep(300); // let the last ACKs land on both sides
                int local = s.getLocalPort();
                SsSocket mine = find(net.b().ss(), local);
                SsSocket theirs = find(net.a().ss(), port, local);
                beforeClose.accept(mine, theirs);
                s.shutdownOutput();
                clientDone.countDown();
                if (s.getInputStream().read() != -1) {
                    throw new IOException("expected EOF from the server");
                }
                return new Result(port, local, mine, theirs);
            } finally {
                clientDone.countDown();
            }
        });
        Result r = client.get(60, TimeUnit.SECONDS);
        server.get(60, TimeUnit.SECONDS);
        return r;
    }

    private static SsSocket find(List<SsSocket> sockets, int localPort) {
        return sockets.stream().filter(s -> s.local().endsWith(":" + localPort)).findFirst()
                .orElseThrow(() -> new IllegalStateException("ss shows no socket on port " + localPort + ": " + sockets));
    }

    private static SsSocket find(List<SsSocket> sockets, int localPort, int peerPort) {
        return sockets.stream().filter(s -> s.local().endsWith(":" + localPort) && s.peer().endsWith(":" + peerPort))
                .findFirst().orElseThrow(() -> new IllegalStateException("ss shows no socket " + localPort + "<->"
                        + peerPort + ": " + sockets));
    }

    public static void writeBytes(OutputStream out, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int i = 0; i < buf.length; i++) {
            buf[i] = (byte) i;
        }
        long left = n;
        while (left > 0) {
            int chunk = (int) Math.min(buf.length, left);
            out.write(buf, 0, chunk);
            left -= chunk;
        }
        out.flush();
    }

    public static void readExactly(InputStream in, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("EOF after " + (n - left) + " of " + n + " bytes");
            }
            left -= r;
        }
    }
}
