package io.netwatcher.event;

import java.util.Objects;

/**
 * A DNS query a client socket sent to port 53 and how it ended: answered (with the response's
 * code and answer count, and the latency from the query sent to the response received) or timed
 * out (latency: the time waited). The tuple is the client socket's: the source is the client, the
 * destination the server. {@code protocol} is the transport (IPPROTO_UDP or IPPROTO_TCP);
 * {@code name} the query name ("" when names are off, "." for the root); {@code qtype} its type
 * number. The process ({@code pid}, {@code comm}) is the one that sent the query.
 */
public record DnsEvent(long timeNs, long cookie, long cgroupId, int pid, String comm, Tuple tuple, int protocol,
                       int id, int qtype, String name, DnsOutcome outcome, int rcode, int ancount, long latencyNs)
        implements Event {
    public DnsEvent {
        Objects.requireNonNull(comm, "comm");
        Objects.requireNonNull(tuple, "tuple");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(outcome, "outcome");
        if (id < 0 || id > 0xffff || qtype < 0 || qtype > 0xffff || ancount < 0 || ancount > 0xffff) {
            throw new IllegalArgumentException("id " + id + " qtype " + qtype + " ancount " + ancount);
        }
        if (rcode < 0 || rcode > 15) {
            throw new IllegalArgumentException("rcode " + rcode);
        }
        if (latencyNs < 0) {
            throw new IllegalArgumentException("latency " + latencyNs);
        }
    }
}
