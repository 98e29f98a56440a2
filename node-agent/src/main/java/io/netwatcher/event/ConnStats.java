package io.netwatcher.event;

/**
 * A connection's state as the kernel last reported it (struct nw_conn). Byte counts are TCP
 * payload bytes: {@code bytesSent} acknowledged by the peer, {@code bytesReceived} in order,
 * {@code bytesRetrans} retransmitted; {@code segsOut} counts segments sent.
 */
public record ConnStats(long startNs, long updateNs, long cgroupId, long bytesSent, long bytesReceived,
                        long bytesRetrans, long segsOut, long srttUs, long rttvarUs, long cwnd, long ssthresh,
                        long rwnd, long sndWnd, long totalRetrans, long fastRetrans, long timeoutRetrans,
                        long otherRetrans, long backlog, long maxBacklog, long sndbuf, long wmemQueued, long rcvbuf,
                        long resets, int pid, int uid, String comm, Role role, int state, boolean established) {
}
