package io.netwatcher.testing;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Sends hand-made IPv4 TCP segments through a raw socket (IP_HDRINCL): with a wrong checksum,
 * or with chosen sequence and acknowledgement numbers. Call it from a thread inside the sending
 * host's namespace.
 */
public final class RawTcp {
    private interface C extends Library {
        C LIB = Native.load("c", C.class);

        int socket(int domain, int type, int protocol);

        long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrlen);

        int close(int fd);
    }

    private RawTcp() {}

    /** A SYN from src:sport to dst:dport whose TCP checksum is deliberately wrong. */
    public static void sendBadChecksumSyn(InetAddress src, int sport, InetAddress dst, int dport, int seq) {
        sendBadChecksumSyn(src, sport, dst, dport, seq, 0);
    }

    /**
     * The same with {@code payload} bytes of data. The kernel verifies the checksum of a segment of
     * up to 76 bytes as soon as it arrives, before it looks up the socket; of a longer one, once
     * the socket is found.
     */
    public static void sendBadChecksumSyn(InetAddress src, int sport, InetAddress dst, int dport, int seq,
                                          int payload) {
        byte[] hdr = segment(src, sport, dst, dport, seq, 0, 0x02);
        byte[] pkt = new byte[hdr.length + payload];
        System.arraycopy(hdr, 0, pkt, 0, hdr.length);
        put16(pkt, 2, pkt.length);
        put16(pkt, 10, 0);
        put16(pkt, 10, checksum(pkt, 0, 20));
        put16(pkt, 36, 0xdead); // not the checksum of this segment
        send(pkt, dst);
    }

    /** A TCP segment without payload from src:sport to dst:dport, with a correct checksum. */
    public static void sendSegment(InetAddress src, int sport, InetAddress dst, int dport, long seq, long ack,
                                   int flags) {
        byte[] pkt = segment(src, sport, dst, dport, (int) seq, (int) ack, flags);
        byte[] pseudo = new byte[12 + 20];
        System.arraycopy(pkt, 12, pseudo, 0, 8); // source and destination addresses
        pseudo[9] = 6;
        pseudo[11] = 20;
        System.arraycopy(pkt, 20, pseudo, 12, 20);
        put16(pkt, 36, checksum(pseudo, 0, pseudo.length));
        send(pkt, dst);
    }

    /** IPv4 + TCP headers (no options, no payload), TCP checksum 0. */
    private static byte[] segment(InetAddress src, int sport, InetAddress dst, int dport, int seq, int ack, int flags) {
        if (!(src instanceof Inet4Address) || !(dst instanceof Inet4Address)) {
            throw new IllegalArgumentException("IPv4 only");
        }
        byte[] pkt = new byte[40];
        pkt[0] = 0x45;
        pkt[3] = 40;
        pkt[6] = 0x40; // DF
        pkt[8] = 64;
        pkt[9] = 6;
        System.arraycopy(src.getAddress(), 0, pkt, 12, 4);
        System.arraycopy(dst.getAddress(), 0, pkt, 16, 4);
        put16(pkt, 10, checksum(pkt, 0, 20));
        put16(pkt, 20, sport);
        put16(pkt, 22, dport);
        put32(pkt, 24, seq);
        put32(pkt, 28, ack);
        pkt[32] = 0x50; // data offset 5 words
        pkt[33] = (byte) flags;
        put16(pkt, 34, 65535);
        return pkt;
    }

    private static void send(byte[] pkt, InetAddress dst) {
        int fd = C.LIB.socket(2 /* AF_INET */, 3 /* SOCK_RAW */, 255 /* IPPROTO_RAW */);
        if (fd < 0) {
            throw new IllegalStateException("raw socket: errno " + Native.getLastError());
        }
        try {
            Memory buf = new Memory(pkt.length);
            buf.write(0, pkt, 0, pkt.length);
            Memory sa = new Memory(16);
            sa.clear();
            sa.setShort(0, (short) 2);
            byte[] d = dst.getAddress();
            sa.write(4, d, 0, 4);
            long n = C.LIB.sendto(fd, buf, pkt.length, 0, sa, 16);
            if (n != pkt.length) {
                throw new IllegalStateException("sendto: " + n + " errno " + Native.getLastError());
            }
        } finally {
            C.LIB.close(fd);
        }
    }

    private static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = off; i < off + len; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
