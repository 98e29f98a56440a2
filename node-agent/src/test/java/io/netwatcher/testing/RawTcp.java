package io.netwatcher.testing;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Sends hand-made IPv4 TCP segments through a raw socket (IP_HDRINCL), e.g. with a wrong
 * checksum. Call it from a thread inside the sending host's namespace.
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
        pkt[24] = (byte) (seq >>> 24);
        pkt[25] = (byte) (seq >>> 16);
        pkt[26] = (byte) (seq >>> 8);
        pkt[27] = (byte) seq;
        pkt[32] = 0x50; // data offset 5 words
        pkt[33] = 0x02; // SYN
        put16(pkt, 34, 65535);
        put16(pkt, 36, 0xdead); // not the checksum of this segment
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
