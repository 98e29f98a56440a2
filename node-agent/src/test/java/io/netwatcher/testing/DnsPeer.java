package io.netwatcher.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A DNS server and client in their own process, so that each can live in a cgroup of its own (a
 * test "pod"); no resolver, no network beyond the test hosts:
 * <pre>
 *   serve                      answer on port 53, UDP and TCP, IPv4 and IPv6; print "listening".
 *                              The first label of the name decides: nN = NOERROR with N answers (A or
 *                              AAAA as asked), nx = NXDOMAIN, fail = SERVFAIL, silent = no answer
 *   query MODE SERVER WAIT_MS ID:NAME:TYPE...
 *                              send each query (MODE udp = one unconnected socket, udp-connected = one
 *                              connected socket, tcp = one connection, one query after the other) and
 *                              wait up to WAIT_MS for its response; print per query
 *                              "ID rcode=R answers=N rtt_ns=T" or "ID timeout"
 * </pre>
 */
public final class DnsPeer {
    private static final int PORT = 53;

    private DnsPeer() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("serve")) {
            serve();
        } else {
            List<String[]> queries = new ArrayList<>();
            for (int i = 4; i < args.length; i++) {
                queries.add(args[i].split(":"));
            }
            query(args[1], InetAddress.getByName(args[2]), Integer.parseInt(args[3]), queries);
        }
    }

    /** The command line that runs this class in a new JVM ({@code ip netns exec} style). */
    public static List<String> command(String... args) {
        return TcpPeer.java(DnsPeer.class, args);
    }

    // ---- server ----

    private static void serve() throws Exception {
        DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::"), PORT));
        ServerSocket tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(InetAddress.getByName("::"), PORT), 16);
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Socket s = tcp.accept();
                    Thread c = new Thread(() -> serveTcp(s));
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        System.out.println("listening");
        System.out.flush();
        byte[] buf = new byte[512];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            udp.receive(p);
            byte[] reply = answer(ByteBuffer.wrap(p.getData(), 0, p.getLength()));
            if (reply != null) {
                udp.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
            }
        }
    }

    private static void serveTcp(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
                int len = in.readUnsignedShort();
                byte[] q = new byte[len];
                in.readFully(q);
                byte[] reply = answer(ByteBuffer.wrap(q));
                if (reply != null) {
                    ByteBuffer b = ByteBuffer.allocate(2 + reply.length).putShort((short) reply.length).put(reply);
                    out.write(b.array()); // one write: the response starts a segment
                    out.flush();
                }
            }
        } catch (EOFException e) {
            // the client closed the connection
        } catch (IOException e) {
            e.printStackTrace();
        }
    }

    /** The response to a query, or null for one left unanswered. */
    static byte[] answer(ByteBuffer q) {
        int id = Short.toUnsignedInt(q.getShort(0));
        int pos = 12;
        List<String> labels = new ArrayList<>();
        for (int l; (l = Byte.toUnsignedInt(q.get(pos))) != 0; pos += 1 + l) {
            byte[] label = new byte[l];
            q.get(pos + 1, label);
            labels.add(new String(label, StandardCharsets.US_ASCII));
        }
        int questionEnd = pos + 1 + 4;
        int qtype = Short.toUnsignedInt(q.getShort(pos + 1));
        String first = labels.isEmpty() ? "" : labels.get(0);
        int rcode = 0;
        int answers = 0;
        if (first.equals("silent")) {
            return null;
        } else if (first.equals("nx")) {
            rcode = 3;
        } else if (first.equals("fail")) {
            rcode = 2;
        } else if (first.matches("n\\d+")) {
            answers = Integer.parseInt(first.substring(1));
        } else {
            rcode = 5; // REFUSED
        }
        int rdlen = qtype == 28 ? 16 : 4;
        ByteBuffer r = ByteBuffer.allocate(questionEnd + answers * (12 + rdlen));
        r.putShort((short) id).putShort((short) (0x8180 | rcode)).putShort((short) 1).putShort((short) answers)
                .putShort((short) 0).putShort((short) 0);
        r.put(q.array(), q.arrayOffset() + 12, questionEnd - 12);
        for (int i = 0; i < answers; i++) {
            r.putShort((short) 0xc00c).putShort((short) (qtype == 28 ? 28 : 1)).putShort((short) 1).putInt(60)
                    .putShort((short) rdlen);
            if (rdlen == 16) {
                r.put(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, (byte) 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    (byte) (i + 1)});
            } else {
                r.put(new byte[] {(byte) 198, 18, 99, (byte) (i + 1)});
            }
        }
        return r.array();
    }

    // ---- client ----

    /** A query in wire format: header (RD set) and one question of class IN. */
    static byte[] encode(int id, String name, int qtype) {
        ByteBuffer b = ByteBuffer.allocate(12 + name.length() + 2 + 4);
        b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0);
        for (String l : name.split("\\.")) {
            b.put((byte) l.length()).put(l.getBytes(StandardCharsets.US_ASCII));
        }
        b.put((byte) 0).putShort((short) qtype).putShort((short) 1);
        return b.array();
    }

    private static void query(String mode, InetAddress server, int waitMs, List<String[]> queries) throws Exception {
        InetSocketAddress to = new InetSocketAddress(server, PORT);
        if (mode.equals("tcp")) {
            try (Socket s = new Socket()) {
                s.connect(to, 5000);
                s.setSoTimeout(waitMs);
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                DataInputStream in = new DataInputStream(s.getInputStream());
                for (String[] q : queries) {
                    int id = Integer.parseInt(q[0]);
                    byte[] m = encode(id, q[1], Integer.parseInt(q[2]));
                    long t0 = System.nanoTime();
                    out.write(ByteBuffer.allocate(2 + m.length).putShort((short) m.length).put(m).array());
                    out.flush();
                    try {
                        byte[] r = new byte[in.readUnsignedShort()];
                        in.readFully(r);
                        report(id, ByteBuffer.wrap(r), System.nanoTime() - t0);
                    } catch (SocketTimeoutException e) {
                        System.out.println(id + " timeout");
                        return; // the stream is out of step
                    }
                }
            }
            return;
        }
        try (DatagramSocket s = new DatagramSocket()) {
            if (mode.equals("udp-connected")) {
                s.connect(to);
            }
            s.setSoTimeout(waitMs);
            for (String[] q : queries) {
                int id = Integer.parseInt(q[0]);
                byte[] m = encode(id, q[1], Integer.parseInt(q[2]));
                long t0 = System.nanoTime();
                s.send(new DatagramPacket(m, m.length, to));
                byte[] buf = new byte[512];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                    report(id, ByteBuffer.wrap(p.getData(), 0, p.getLength()), System.nanoTime() - t0);
                } catch (SocketTimeoutException e) {
                    System.out.println(id + " timeout");
                }
            }
        }
    }

    private static void report(int id, ByteBuffer r, long rttNs) {
        int got = Short.toUnsignedInt(r.getShort(0));
        if (got != id) {
            throw new IllegalStateException("response id " + got + " to query " + id);
        }
        System.out.println(id + " rcode=" + (r.getShort(2) & 0xf) + " answers=" + Short.toUnsignedInt(r.getShort(6))
                + " rtt_ns=" + rttNs);
        System.out.flush();
    }
}
