package io.netwatcher.probe;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A point the agent observes, with the programs that can back it in order of preference.
 * A candidate is usable when at least one of its programs can attach on this kernel; all of its
 * usable programs are then enabled (e.g. the RX driver boundary has one per driver entry path).
 */
public enum Boundary {
    RX_DRIVER("rx.driver", "packet handed up by a driver",
            c(HookKind.TRACEPOINT, "tp_netif_rx", "tp_napi_gro_receive_entry", "tp_netif_receive_skb_entry",
                    "tp_netif_receive_skb_list_entry", "tp_napi_gro_frags_entry")),
    RX_STACK("rx.stack", "core stack dispatch", c(HookKind.TRACEPOINT, "tp_netif_receive_skb")),
    RX_TRANSPORT("rx.transport", "transport entry after socket lookup",
            c(HookKind.CGROUP_SKB, "cg_ingress@bpf_cast_to_kern_ctx"),
            c(HookKind.FENTRY, "fe_tcp_v4_rcv", "fe_tcp_v6_rcv"),
            c(HookKind.KPROBE, "kp_tcp_v4_rcv", "kp_tcp_v6_rcv")),
    RX_TCP("rx.tcp", "TCP processing: parks packets when rx.transport has no socket, refreshes connection"
            + " counters when conn.snapshot has no iterator", c(HookKind.TRACEPOINT, "tp_tcp_probe")),
    RX_QUEUED("rx.queued", "data readable in the socket receive queue",
            c(HookKind.TRACEPOINT, "tp_sk_data_ready"),
            c(HookKind.FENTRY, "fe_tcp_data_ready")),
    RX_READ("rx.read", "application read (and the socket's owning process)",
            c(HookKind.TRACEPOINT, "tp_sock_recv_length"),
            c(HookKind.TRACEPOINT, "tp_tcp_recv_length"),
            c(HookKind.FENTRY, "fe_tcp_cleanup_rbuf")),
    TX_SEND("tx.send", "application data enters a TCP segment (and the socket's owning process)",
            c(HookKind.TRACEPOINT, "tp_tcp_sendmsg_locked"),
            c(HookKind.FENTRY, "fe_tcp_sendmsg")),
    TX_DEVICE("tx.device", "segment enters the device layer", c(HookKind.TRACEPOINT, "tp_net_dev_queue")),
    TX_XMIT("tx.xmit", "driver transmit starts", c(HookKind.TRACEPOINT, "tp_net_dev_start_xmit")),
    TX_DONE("tx.done", "driver transmit returned", c(HookKind.TRACEPOINT, "tp_net_dev_xmit")),
    CONN_STATE("conn.state", "TCP state changes (open, close, role, duration); socket destruction catches a"
            + " close whose state change was missed",
            c(HookKind.TRACEPOINT, "tp_inet_sock_set_state", "tp_tcp_destroy_sock")),
    CONN_CLIENT_OPEN("conn.client_open", "a client's transfer state is initialised: its open event, with the"
            + " initial cwnd (else reported from conn.state, before the kernel sets it)",
            c(HookKind.SOCKOPS, "so_established")),
    CONN_SNAPSHOT("conn.snapshot", "connection counters (srtt, cwnd, bytes...) refreshed as ss reads them",
            c(HookKind.ITERATOR, "it_tcp"),
            c(HookKind.TRACEPOINT, "tp_tcp_probe")),
    CONN_OWNER("conn.owner", "the processes holding sockets older than the agent (listeners, idle connections),"
            + " from every process's open files as ss -p finds them, stored by a walk over each namespace's sockets",
            all(HookKind.ITERATOR, "it_task_file", "it_tcp_owner")),
    ERR_RETRANSMIT("err.retransmit", "segment retransmitted",
            c(HookKind.TRACEPOINT, "tp_tcp_retransmit_skb_err:3"),
            c(HookKind.TRACEPOINT, "tp_tcp_retransmit_skb")),
    ERR_SYNACK("err.retransmit_synack", "SYN-ACK retransmitted", c(HookKind.TRACEPOINT, "tp_tcp_retransmit_synack")),
    ERR_RESET_SENT("err.reset_sent", "reset sent", c(HookKind.TRACEPOINT, "tp_tcp_send_reset")),
    ERR_RESET_RECEIVED("err.reset_received", "reset received", c(HookKind.TRACEPOINT, "tp_tcp_receive_reset")),
    ERR_BAD_CHECKSUM("err.bad_checksum", "TCP segment with a bad checksum", c(HookKind.TRACEPOINT, "tp_tcp_bad_csum")),
    ERR_DROP("err.drop", "packet dropped, with the kernel's reason",
            c(HookKind.TRACEPOINT, "tp_kfree_skb_rx_sk:4"),
            c(HookKind.TRACEPOINT, "tp_kfree_skb:3")),
    ERR_RCVQ_FULL("err.receive_queue_full", "socket receive queue full",
            c(HookKind.TRACEPOINT, "tp_sock_rcvqueue_full")),
    ERR_BUF_LIMIT("err.buffer_limit", "socket memory limit exceeded",
            c(HookKind.TRACEPOINT, "tp_sock_exceed_buf_limit")),
    ERR_ICMP("err.icmp_sent", "ICMP error sent", c(HookKind.TRACEPOINT, "tp_icmp_send")),
    ICMP_RX("icmp.rx", "ICMP echo requests and errors received (in rx.stack's program, after TCP: a protocol check"
            + " for every other packet)", c(HookKind.TRACEPOINT, "tp_netif_receive_skb")),
    ICMP_TX("icmp.tx", "ICMP echo requests, replies and errors sent from a local socket (in tx.device's program,"
            + " after TCP: a protocol check for every other packet)", c(HookKind.TRACEPOINT, "tp_net_dev_queue")),
    ICMP_READ("icmp.read", "ICMP echo replies read by a local socket (every datagram copied: a socket protocol"
            + " check)", c(HookKind.TRACEPOINT, "tp_icmp_read")),
    DNS_EGRESS("dns.egress", "DNS queries a client socket sends to port 53 (every packet sent: a port check)",
            c(HookKind.CGROUP_SKB, "cg_dns_egress"),
            c(HookKind.CGROUP_SKB, "cg_dns_egress_notask")),
    DNS_INGRESS("dns.ingress", "DNS responses a client socket receives from port 53 (in rx.transport's cgroup_skb"
            + " program: a port check for every other packet; else a program of its own)",
            c(HookKind.CGROUP_SKB, "cg_ingress@bpf_cast_to_kern_ctx"),
            c(HookKind.CGROUP_SKB, "cg_dns_ingress")),
    UDP_READ("udp.read", "UDP datagrams read by the application: counted, their layers finished (in rx.read's"
            + " program behind its protocol check; else a program of its own, which every recvmsg runs)",
            c(HookKind.TRACEPOINT, "tp_sock_recv_length"),
            c(HookKind.TRACEPOINT, "tp_udp_recv_length"),
            c(HookKind.FEXIT, "fx_udp_recvmsg:5", "fx_udpv6_recvmsg:5")),
    NF_HOOKS("nf.hooks", "time between the first and the last priority of each IPv4 and IPv6 netfilter hook, in"
            + " every network namespace (opt-in, --netfilter-times: 2 program runs per hook a packet passes; before"
            + " v6.4 the entry and exit of nf_hook_slow, which runs only where a hook has entries)",
            all(HookKind.NETFILTER, "nf_first", "nf_last"),
            all(HookKind.FENTRY, "fe_nf_hook_slow:4", "fx_nf_hook_slow:4"));

    /** The boundaries of the ICMP programs ({@code --no-icmp} leaves them out). */
    public boolean isIcmp() {
        return this == ICMP_RX || this == ICMP_TX || this == ICMP_READ;
    }

    /** The boundaries of the DNS programs ({@code --no-dns} leaves them out). */
    public boolean isDns() {
        return this == DNS_EGRESS || this == DNS_INGRESS;
    }

    /** The boundaries of the netfilter programs ({@code --netfilter-times} adds them). */
    public boolean isNetfilter() {
        return this == NF_HOOKS;
    }

    /** The boundaries of the UDP programs ({@code --no-udp} leaves them out). */
    public boolean isUdp() {
        return this == UDP_READ;
    }

    private final String id;
    private final String description;
    private final List<Candidate> candidates;

    Boundary(String id, String description, Candidate... candidates) {
        this.id = id;
        this.description = description;
        this.candidates = List.of(candidates);
    }

    /** Stable name, used in logs, metrics and docs (e.g. {@code rx.transport}). */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    public List<Candidate> candidates() {
        return candidates;
    }

    /**
     * Programs of one backing. A program written {@code name:N} needs a tracepoint with at least
     * N arguments (the kernel's prototypes grow over time, e.g. kfree_skb's rx_sk in v6.11), or a
     * fentry/fexit function with exactly N parameters (fexit reads the return value after them); one
     * written {@code name@KFUNC} calls that kfunc, which the kernel's BTF must have. A candidate
     * whose programs only work together ({@code all}: an entry that stamps and an exit that
     * measures) is usable only when every one of them is.
     */
    public record Candidate(HookKind kind, List<ProgramRef> programs, boolean all) {
        /** Whether this candidate backs its boundary when these of its programs can be used. */
        public boolean backsWith(List<?> usable) {
            return !usable.isEmpty() && (!all || usable.size() == programs.size());
        }
    }

    /** A program, the tracepoint arguments it needs (0: any) and the kfunc it calls (empty: none). */
    public record ProgramRef(String name, int minArgs, String kfunc) {
        public ProgramRef {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kfunc, "kfunc");
        }
    }

    private static Candidate c(HookKind kind, String... programs) {
        return new Candidate(kind, refs(programs), false);
    }

    private static Candidate all(HookKind kind, String... programs) {
        return new Candidate(kind, refs(programs), true);
    }

    private static List<ProgramRef> refs(String... programs) {
        return Arrays.stream(programs).map(p -> {
            int at = p.indexOf('@');
            String kfunc = at < 0 ? "" : p.substring(at + 1);
            String rest = at < 0 ? p : p.substring(0, at);
            int i = rest.indexOf(':');
            return i < 0 ? new ProgramRef(rest, 0, kfunc)
                    : new ProgramRef(rest.substring(0, i), Integer.parseInt(rest.substring(i + 1)), kfunc);
        }).toList();
    }
}
