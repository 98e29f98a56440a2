package io.netwatcher.testing;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * ICMP echo ("ping") over a raw socket, as ping does when run as root: the kernel hands the reply
 * to the raw socket and, finding no ping socket for it, frees it at ping_rcv (NO_SOCKET). Call it
 * from a thread inside the sending host's namespace.
 */
public final class RawIcmp {
    private interface C extends Library {
        C LIB = Native.load("c", C.class);

        int socket(int domain, int type, int protocol);

        int setsockopt(int fd, int level, int name, Pointer value, int len);

        long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrlen);

        long recv(int fd, Pointer buf, long len, int flags);

        int close(int fd);
    }

    private RawIcmp() {}

    /** Sends {@code count} echo requests to {@code dst}, one at a time; returns the replies received. */
    public static int ping(InetAddress dst, int count, int id) {
        if (!(dst instanceof Inet4Address)) {
            throw new IllegalArgumentException("IPv4 only");
        }
        int fd = C.LIB.socket(2 /* AF_INET */, 3 /* SOCK_RAW */, 1 /* IPPROTO_ICMP */);
        if (fd < 0) {
            throw new IllegalStateException("raw ICMP socket: errno " + Native.getLastError());
        }
        try {
            Memory tv = new Memory(16);
            tv.setLong(0, 1); // 1 s receive timeout
            tv.setLong(8, 0);
            if (C.LIB.setsockopt(fd, 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, tv, 16) != 0) {
                throw new IllegalStateException("SO_RCVTIMEO: errno " + Native.getLastError());
            }
            Memory sa = new Memory(16);
            sa.clear();
            sa.setShort(0, (short) 2);
            sa.write(4, dst.getAddress(), 0, 4);
            Memory in = new Memory(1500);
            int replies = 0;
            for (int i = 0; i < count; i++) {
                byte[] echo = echo(id, i);
                Memory out = new Memory(echo.length);
                out.write(0, echo, 0, echo.length);
                if (C.LIB.sendto(fd, out, echo.length, 0, sa, 16) != echo.length) {
                    throw new IllegalStateException("sendto: errno " + Native.getLastError());
                }
                long deadline = System.nanoTime() + 1_000_000_000L;
                while (System.nanoTime() < deadline) {
                    long n = C.LIB.recv(fd, in, 1500, 0);
                    if (n < 0) {
                        break; // timeout
                    }
                    int ihl = (in.getByte(0) & 0x0f) * 4;
                    if (n >= ihl + 8 && in.getByte(ihl) == 0 && (short) id == Short.reverseBytes(in.getShort(ihl + 4))
                            && (short) i == Short.reverseBytes(in.getShort(ihl + 6))) {
                        replies++;
                        break;
                    }
                }
            }
            return replies;
        } finally {
            C.LIB.close(fd);
        }
    }

    private static byte[] echo(int id, int seq) {
        byte[] b = new byte[8 + 32];
        b[0] = 8; // echo request
        b[4] = (byte) (id >>> 8);
        b[5] = (byte) id;
        b[6] = (byte) (seq >>> 8);
        b[7] = (byte) seq;
        for (int i = 8; i < b.length; i++) {
            b[i] = (byte) i;
        }
        long sum = 0;
        for (int i = 0; i < b.length; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        int c = (int) (~sum & 0xffff);
        b[2] = (byte) (c >>> 8);
        b[3] = (byte) c;
        return b;
    }
}
