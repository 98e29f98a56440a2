package io.netwatcher.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A TCP socket as the kernel reports it through `ss -tienHO` (one line per socket). */
public record SsSocket(String state, String local, String peer, long cookie, double rttMs, double rttvarMs, long cwnd,
                       long ssthresh, long bytesAcked, long bytesReceived, long retrans, long totalRetrans,
                       long bytesSent, long bytesRetrans) {

    private static final Pattern COOKIE = Pattern.compile("\\bsk:([0-9a-f]+)");
    private static final Pattern RTT = Pattern.compile("\\brtt:([0-9.]+)/([0-9.]+)");
    private static final Pattern RETRANS = Pattern.compile("\\bretrans:(\\d+)/(\\d+)");

    public static List<SsSocket> parse(String output) {
        List<SsSocket> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length < 5) {
                continue;
            }
            Matcher c = COOKIE.matcher(line);
            Matcher rtt = RTT.matcher(line);
            Matcher rt = RETRANS.matcher(line);
            boolean hasRtt = rtt.find();
            boolean hasRetrans = rt.find();
            out.add(new SsSocket(f[0], f[3], f[4], c.find() ? Long.parseUnsignedLong(c.group(1), 16) : 0,
                    hasRtt ? Double.parseDouble(rtt.group(1)) : -1, hasRtt ? Double.parseDouble(rtt.group(2)) : -1,
                    num(line, "cwnd"), num(line, "ssthresh"), num(line, "bytes_acked"), num(line, "bytes_received"),
                    hasRetrans ? Long.parseLong(rt.group(1)) : 0, hasRetrans ? Long.parseLong(rt.group(2)) : 0,
                    num(line, "bytes_sent"), num(line, "bytes_retrans")));
        }
        return out;
    }

    private static long num(String line, String key) {
        Matcher m = Pattern.compile("\\b" + key + ":(\\d+)").matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    public static Optional<SsSocket> byCookie(List<SsSocket> sockets, long cookie) {
        return sockets.stream().filter(s -> s.cookie == cookie).findFirst();
    }

    /** srtt in microseconds (ss prints ms with three decimals). */
    public long rttUs() {
        return Math.round(rttMs * 1000);
    }
}
