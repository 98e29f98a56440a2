/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netwatcher: layouts shared by the BPF programs and the Java agent.
 *
 * Every struct uses fixed-width types and explicit padding (the build uses -Wpadded),
 * so the Java mirrors in io.netwatcher.kernel.Layouts can be checked against this
 * object's BTF by a test (LayoutTest); every enum has a Java enum checked member by member
 * the same way (EnumLayoutTest; netwatcher.bpf.c keeps each enum in BTF). Units are in the
 * field comments.
 * Addresses are 16 bytes: IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).
 */
#ifndef NETWATCHER_H
#define NETWATCHER_H

/* Padding is always explicit: the compiler must never add any to these layouts. */
#pragma clang diagnostic push
#pragma clang diagnostic error "-Wpadded"

#define NW_COMM_LEN 16
#define NW_HIST_SLOTS 32      /* log2(ns) slots; slot 31 holds everything >= 2^31 ns */
#define NW_RX_STAMPS 5
#define NW_TX_STAMPS 4
#define NW_MAX_STAMPS 5
#define NW_RX_FIFO 16         /* per-socket queued segments timed for the socket layer */
#define NW_HTTP_LEN 64        /* bytes of an HTTP/1 first line kept when --http is on */
#define NW_HIST_LAYERS 5      /* per direction: up to 4 layers, then the total */
#define NW_PORTS_MAX 8        /* ports in each of the --sport and --dport lists */
#define NW_DNS_NAME_LEN 256   /* a query name in wire format (length-prefixed labels) is at most 255 bytes */

/* Event types: the first __u16 of every ring-buffer record. */
enum nw_event_type {
	NW_EV_PACKET = 1,
	NW_EV_CONN = 2,
	NW_EV_RETRANS = 3,
	NW_EV_RESET = 4,
	NW_EV_DROP = 5,
	NW_EV_BAD_CSUM = 6,
	NW_EV_RCVQ_FULL = 7,
	NW_EV_BUF_LIMIT = 8,
	NW_EV_BENIGN_DROP = 9,   /* nw_error_event: a drop that is not a loss (struct nw_benign_drop), on request */
	NW_EV_STATE = 10,        /* struct nw_state_event: a TCP state transition, on request */
	NW_EV_ICMP = 11,         /* nw_icmp_event: one side of an ICMP/ICMPv6 echo exchange */
	NW_EV_DNS = 12,          /* nw_dns_event: a DNS query answered or timed out */
};

enum nw_direction {
	NW_DIR_RX = 0,
	NW_DIR_TX = 1,
};

/*
 * Boundary timestamps of one packet. A layer is the time between two consecutive
 * boundaries; a boundary whose hook did not fire for the packet stays 0.
 */
enum nw_rx_stamp {
	NW_RX_DRIVER = 0,     /* handed up by the driver (netif_rx, napi_gro_receive_entry) */
	NW_RX_STACK = 1,      /* core stack dispatch (netif_receive_skb) */
	NW_RX_TRANSPORT = 2,  /* transport entry after socket lookup (cgroup_skb ingress, tcp_v4_rcv) */
	NW_RX_QUEUED = 3,     /* in order in the socket receive queue (sk_data_ready) */
	NW_RX_READ = 4,       /* copied to the application (recvmsg returned) */
};

enum nw_tx_stamp {
	NW_TX_SEND = 0,       /* the application's data enters a TCP segment (tcp_sendmsg) */
	NW_TX_DEVQ = 1,       /* segment handed to the device layer (dev_queue_xmit) */
	NW_TX_XMIT = 2,       /* driver transmit starts (after the qdisc) */
	NW_TX_DONE = 3,       /* driver transmit returned */
};

/* Layers, the index into struct nw_hists: RX layers 0..3, TX layers 0..2 (stamp i -> i+1). */
enum nw_layer {
	NW_LAYER_RX_LINK = 0,
	NW_LAYER_RX_IP = 1,
	NW_LAYER_RX_TCP = 2,
	NW_LAYER_RX_SOCKET = 3,
	NW_LAYER_TX_TCP_IP = 0,
	NW_LAYER_TX_QDISC = 1,
	NW_LAYER_TX_DRIVER = 2,
	NW_LAYER_TOTAL = 4,   /* first present boundary -> last present boundary */
};

enum nw_role {
	NW_ROLE_UNKNOWN = 0,
	NW_ROLE_CLIENT = 1,
	NW_ROLE_SERVER = 2,
};

enum nw_conn_kind {
	NW_CONN_OPEN = 1,
	NW_CONN_CLOSE = 2,
};

/* A reset's direction: the detail of a reset event and counter. */
enum nw_reset_dir {
	NW_RESET_SENT = 0,
	NW_RESET_RECEIVED = 1,
};

enum nw_retrans_kind {
	NW_RETRANS_FAST = 1,     /* retransmitted in Recovery (dupacks, SACK, RACK) */
	NW_RETRANS_TIMEOUT = 2,  /* retransmitted in Loss (RTO fired) */
	NW_RETRANS_SYNACK = 3,   /* SYN-ACK retransmitted by a listener */
	NW_RETRANS_PROBE = 4,    /* tail loss probe or other retransmit in Open/Disorder */
	NW_RETRANS_SYN = 5,      /* SYN retransmitted by a connecting client */
};

/* Counter kinds in the per-cgroup counters map; `detail` narrows the kind. */
enum nw_counter_kind {
	NW_CNT_DROP = 1,         /* detail: enum skb_drop_reason value */
	NW_CNT_RETRANS = 2,      /* detail: enum nw_retrans_kind */
	NW_CNT_RESET = 3,        /* detail: enum nw_reset_dir */
	NW_CNT_BAD_CSUM = 4,
	NW_CNT_RCVQ_FULL = 5,
	NW_CNT_BUF_LIMIT = 6,
	NW_CNT_CONN_OPEN = 7,    /* detail: enum nw_role */
	NW_CNT_CONN_CLOSE = 8,   /* detail: enum nw_role */
	NW_CNT_ICMP_SENT = 9,    /* detail: (type << 8) | code */
	NW_CNT_DROP_BENIGN = 10, /* detail: enum skb_drop_reason value; a free that is not a loss */
	NW_CNT_HANDSHAKE_FAIL = 11, /* detail: enum nw_handshake_fail; a client's SYN_SENT -> CLOSE */
	NW_CNT_UDP_DATAGRAMS = 12,  /* detail: (enum nw_direction << 8) | IP version (4, 6); UDP datagrams */
	NW_CNT_UDP_BYTES = 13,      /* detail: as NW_CNT_UDP_DATAGRAMS; UDP payload bytes */
};

/* Why a client's handshake failed (SYN_SENT -> CLOSE), from the socket's error at that moment. */
enum nw_handshake_fail {
	NW_HS_REFUSED = 1,       /* a RST answered the SYN (sk_err ECONNREFUSED, tcp_reset) */
	NW_HS_TIMED_OUT = 2,     /* the SYN retries ran out unanswered (sk_err ETIMEDOUT, tcp_write_err) */
	NW_HS_OTHER = 3,         /* anything else: closed by the application, an ICMP error, ... */
};

/* ICMP/ICMPv6 messages counted per cgroup or network namespace (struct nw_icmp_key). */
enum nw_icmp_kind {
	NW_ICMP_ECHO_REQUEST_SENT = 1,      /* an echo request leaves a local socket (cgroup of the socket) */
	NW_ICMP_ECHO_REQUEST_RECEIVED = 2,  /* an echo request arrives at a device (its network namespace) */
	NW_ICMP_ECHO_REPLY_SENT = 3,        /* the kernel's echo reply leaves (its network namespace) */
	NW_ICMP_ECHO_REPLY_RECEIVED = 4,    /* an echo reply is read by a local socket (cgroup of the socket) */
	NW_ICMP_ERROR_SENT = 5,             /* an ICMP error leaves a local socket (type, code) */
	NW_ICMP_ERROR_RECEIVED = 6,         /* an ICMP error arrives at a device (type, code) */
};

/* Which end of an echo exchange an ICMP event describes. */
enum nw_icmp_side {
	NW_ICMP_REQUESTER = 1,   /* request sent -> reply read by the local socket */
	NW_ICMP_RESPONDER = 2,   /* request received -> the kernel's reply sent */
};

/* DNS messages counted per cgroup (struct nw_dns_key). */
enum nw_dns_kind {
	NW_DNS_QUERY = 1,        /* a query left a client socket for port 53 */
	NW_DNS_RESPONSE = 2,     /* the response to a query in flight arrived (rcode) */
	NW_DNS_TIMEOUT = 3,      /* a query had no response within the timeout */
	NW_DNS_UNMATCHED = 4,    /* a response matched no query in flight (late, or sent before the agent) */
};

/* How a DNS exchange ended. */
enum nw_dns_outcome {
	NW_DNS_ANSWERED = 1,
	NW_DNS_TIMED_OUT = 2,
};

/* Agent self-statistics: index into the per-CPU stats array. */
enum nw_stat {
	NW_STAT_RINGBUF_LOST = 0,     /* bpf_ringbuf_reserve failed: record lost */
	NW_STAT_SAMPLE_CAPPED = 1,    /* sampled packet events over the per-second cap */
	NW_STAT_ERR_CAPPED = 2,       /* error events over the per-second cap */
	NW_STAT_RX_UNTRACKED = 3,     /* socket layer not timed: per-socket RX FIFO full */
	NW_STAT_TX_UNTRACKED = 4,     /* TX segment not timed: per-socket TX FIFO full */
	NW_STAT_CONN_FULL = 5,        /* connection map update failed */
	NW_STAT_HIST_FULL = 6,        /* histogram map update failed */
	NW_STAT_RB_WAKEUP = 8,        /* records submitted with a reader wake-up (ring past its fill mark) */
	NW_STAT_RX_PICKED = 9,        /* received packets picked for timing at their first hook */
	NW_STAT_TX_PICKED = 10,       /* sent segments picked for timing at their first hook */
	NW_STAT_TX_STALE = 11,        /* device-table slots freed unfinished (dropped, sent elsewhere, segmented) */
	NW_STAT_COUNTERS_FULL = 12,   /* counters map update failed: an event counted nowhere */
	NW_STAT_CONNECTS_FULL = 13,   /* connect_counts map update failed: a connect() counted nowhere */
	NW_STAT_NF_UNMATCHED = 14,    /* netfilter: a hook's last program found no stamp of this packet */
	NW_STAT_RX_DUPLICATE = 15,    /* received segment with only bytes already received: not timed past transport */
};

#define NW_STAT_MAX 16                /* entries of the stats array: every enum nw_stat value is below */

/* One endpoint pair, as seen from the socket: s = local, d = remote, host byte order ports. */
struct nw_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;   /* AF_INET (2) or AF_INET6 (10) */
	__u16 pad;
};

/* Common header of every ring-buffer record (72 bytes). */
struct nw_event_hdr {
	__u16 type;        /* enum nw_event_type */
	__u16 flags;
	__u32 pid;         /* tgid of the owning process; 0 when not known */
	__u64 ts_ns;       /* CLOCK_MONOTONIC, ns */
	__u64 cookie;      /* socket cookie (as in `ss -e` sk:); 0 when there is no socket */
	__u64 cgroup_id;   /* cgroup v2 id of the socket (or of the current task) */
	struct nw_tuple t;
};

/* A sampled packet (a TCP segment or a UDP datagram) and its boundary timestamps. */
struct nw_packet_event {
	struct nw_event_hdr h;
	__u32 seq;                       /* TCP sequence number of the first payload byte */
	__u32 ack;                       /* TCP acknowledgement number */
	__u32 len;                       /* TCP or UDP payload bytes */
	__u8 direction;                  /* enum nw_direction */
	__u8 http_len;                   /* bytes valid in http[] */
	__u8 protocol;                   /* IPPROTO_TCP or IPPROTO_UDP (seq and ack are 0 for UDP) */
	__u8 pad;
	__u64 stamps[NW_MAX_STAMPS];     /* CLOCK_MONOTONIC ns per boundary, 0 = not seen */
	__u8 comm[NW_COMM_LEN];          /* owning process when known */
	__u8 http[NW_HTTP_LEN];          /* HTTP/1 first line when --http */
};

/*
 * One side of an echo exchange (ICMP or ICMPv6). The tuple is local first with ports 0: the
 * requester's address is saddr on the requester side, daddr on the responder side.
 */
struct nw_icmp_event {
	struct nw_event_hdr h;   /* pid: requester side, the process that read the reply; responder side 0 */
	__u64 latency_ns;        /* requester: request sent -> reply read; responder: request received -> reply sent */
	__u32 netns;             /* network namespace inode of the side */
	__u32 cpu;               /* CPU that handled the packet: the request (responder) or the reply (requester) */
	__u32 task_pid;          /* thread running when the kernel received that packet (0: idle) */
	__u32 task_tgid;         /* its process */
	__u16 id;                /* echo identifier */
	__u16 seq;               /* echo sequence number */
	__u8 side;               /* enum nw_icmp_side */
	__u8 pad[3];
	__u8 task_comm[NW_COMM_LEN];   /* comm of that thread ("swapper/N" when the CPU was idle) */
	__u8 comm[NW_COMM_LEN];        /* requester side: the process that read the reply */
};

/* Key of the ICMP counters (per-CPU hash, value __u64). */
struct nw_icmp_key {
	__u64 cgroup_id;         /* cgroup v2 id of the local socket; 0 when the kernel itself sent or received */
	__u32 netns;             /* network namespace inode where it was seen */
	__u8 kind;               /* enum nw_icmp_kind */
	__u8 family;             /* AF_INET or AF_INET6 */
	__u8 type;               /* ICMP type (errors; 0 for echo kinds) */
	__u8 code;               /* ICMP code (errors; 0 for echo kinds) */
};

/*
 * A DNS query and how it ended: its response (answered) or none within the timeout. The tuple is
 * the client socket's: s = the client, d = the server (dport 53).
 */
struct nw_dns_event {
	struct nw_event_hdr h;   /* pid: the process that sent the query (0 when not known) */
	__u64 latency_ns;        /* query sent -> response received (answered); the timeout (timed out) */
	__u16 id;                /* DNS message id */
	__u16 qtype;             /* QTYPE of the question (1 A, 28 AAAA, ...) */
	__u16 ancount;           /* answer records in the response (0 when timed out) */
	__u16 name_len;          /* bytes valid in name[]: 0 when names are off */
	__u8 rcode;              /* response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...; 0 when timed out) */
	__u8 outcome;            /* enum nw_dns_outcome */
	__u8 protocol;           /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 pad[5];
	__u8 comm[NW_COMM_LEN];  /* the process that sent the query */
	__u8 name[NW_DNS_NAME_LEN];   /* QNAME in wire format (length-prefixed labels, 0-terminated) */
};

/* Key of the DNS counters (per-CPU hash, value __u64). */
struct nw_dns_key {
	__u64 cgroup_id;         /* cgroup v2 id of the client socket */
	__u8 kind;               /* enum nw_dns_kind */
	__u8 rcode;              /* NW_DNS_RESPONSE: the response code, else 0 */
	__u8 protocol;           /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 family;             /* AF_INET or AF_INET6 */
	__u32 pad;
};

/* Per-connection state, the value of the conns map and the body of a conn event. */
struct nw_conn {
	__u64 start_ns;          /* connect() or accept completion, CLOCK_MONOTONIC ns */
	__u64 update_ns;         /* last snapshot of the tcp_sock fields below */
	__u64 cgroup_id;
	__u64 bytes_acked;       /* payload bytes sent and acknowledged (tcp_sock.bytes_acked less SYN/FIN) */
	__u64 bytes_received;    /* payload bytes received in order (tcp_sock.bytes_received less FIN) */
	__u64 bytes_retrans;     /* tcp_sock.bytes_retrans: payload bytes retransmitted */
	__u64 segs_out;          /* tcp_sock.segs_out: segments sent, retransmits included */
	__u32 srtt_us;           /* smoothed RTT, us */
	__u32 rttvar_us;         /* RTT variation, us */
	__u32 cwnd;              /* congestion window, segments */
	__u32 ssthresh;          /* slow start threshold, segments */
	__u32 rwnd;              /* our advertised receive window, bytes */
	__u32 snd_wnd;           /* peer's receive window, bytes */
	__u32 total_retrans;     /* tcp_sock.total_retrans: segments retransmitted */
	__u32 fast_retrans;      /* segments retransmitted in Recovery */
	__u32 timeout_retrans;   /* segments retransmitted in Loss (after RTO) */
	__u32 other_retrans;     /* tail loss probes, SYN and SYN-ACK retransmits */
	__u32 backlog;           /* server: the listener's accept queue when this connection joined it
				    (itself included); 0 for other roles */
	__u32 max_backlog;       /* server: that listener's accept queue limit; 0 for other roles */
	__u32 sndbuf;            /* sk_sndbuf, bytes */
	__u32 wmem_queued;       /* sk_wmem_queued, bytes */
	__u32 rcvbuf;            /* sk_rcvbuf, bytes */
	__u32 resets;            /* resets sent or received on this socket */
	__u32 pid;               /* owning tgid: connect() or listen() caller, then the last to send/receive */
	__u32 uid;
	__u8 comm[NW_COMM_LEN];
	struct nw_tuple t;       /* local first; the local port is known from ESTABLISHED on */
	__u32 netns;             /* network namespace inode of the socket */
	__u8 role;               /* enum nw_role */
	__u8 state;              /* TCP state at the snapshot */
	__u8 established;        /* 1 once ESTABLISHED was reached (and counted as opened) */
	__u8 closing;            /* 1 once it left ESTABLISHED: srtt/rttvar/cwnd/ssthresh keep their values
				    from then (the FIN exchange is not the connection's working state) */
};

struct nw_conn_event {
	struct nw_event_hdr h;
	__u8 event;              /* enum nw_conn_kind */
	__u8 oldstate;           /* TCP state left (close: the state before CLOSE) */
	__u8 pad[6];
	struct nw_conn c;
};

/*
 * A TCP state transition (inet_sock_set_state), reported when state events are on. The time spent
 * in the state left is measured from the transition into it, kept in the socket's local storage.
 */
struct nw_state_event {
	struct nw_event_hdr h;   /* cookie: the socket's, from its first transition on (as ss -e shows it) */
	__u64 duration_ns;       /* time spent in oldstate, ns; 0 = not known (entered before it was watched) */
	__u8 oldstate;           /* TCP state left (TCP_ESTABLISHED = 1 ... as the kernel numbers them) */
	__u8 newstate;           /* TCP state entered */
	__u8 failure;            /* enum nw_handshake_fail for a client's SYN_SENT -> CLOSE, else 0 */
	__u8 pad;
	__u32 sk_err;            /* the socket's pending error (errno) at the transition, 0 = none */
	__u8 comm[NW_COMM_LEN];  /* owning process when known */
};

/* Retransmit, reset, drop, bad checksum, receive-queue-full, buffer-limit events. */
struct nw_error_event {
	struct nw_event_hdr h;
	__u32 detail;            /* enum nw_retrans_kind, enum nw_reset_dir, drop reason value, ... */
	__u32 state;             /* TCP state of the socket, 0 when none */
	__u32 seq;               /* TCP sequence number when a segment is known */
	__u32 extra;             /* drop: protocol (IPPROTO_*); rcvq: rmem_alloc; reset: sk_rst_reason */
	__u64 location;          /* drop: kernel address that dropped the skb */
	__u8 comm[NW_COMM_LEN];
	__u32 ack;               /* TCP acknowledgement number when a segment is known */
	__u32 len;               /* drop, bad checksum: payload bytes of the packet */
	__u8 tcp_flags;          /* drop, bad checksum: TCP flags byte (FIN 0x01 ... CWR 0x80) */
	__u8 pad[7];
};

/*
 * Drops that are not losses: a kernel drop reason freed at a kernel code range (the function
 * that called kfree_skb; lo = 0, hi = ~0 for anywhere). The agent resolves its classification
 * table (io.netwatcher.event.BenignDrops) against the running kernel and writes it before load.
 */
#define NW_BENIGN_MAX 8

struct nw_benign_drop {
	__u64 lo;                /* first address of the dropping function */
	__u64 hi;                /* first address after it */
	__u32 reason;            /* enum skb_drop_reason value */
	__u32 pad;
};

/* Key of the layer histograms (per-CPU hash): one value per cgroup, direction and transport. */
struct nw_hist_key {
	__u64 cgroup_id;
	__u8 direction;          /* enum nw_direction */
	__u8 protocol;           /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad[6];
};

struct nw_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 slots[NW_HIST_SLOTS];   /* slot i counts values in [2^i, 2^(i+1)) ns; slot 0 also holds 0 */
};

/* All layers of one cgroup and direction, so a hook updates several with one lookup. */
struct nw_hists {
	struct nw_hist layer[NW_HIST_LAYERS];   /* index: enum nw_layer */
};

/* Netfilter hooks of one family: NF_INET_PRE_ROUTING .. NF_INET_POST_ROUTING (enum nf_inet_hooks). */
#define NW_NF_HOOKS 5

/*
 * Key of the netfilter hook time histograms (per-CPU hash, value struct nw_hist): the time a packet
 * spent between the first and the last priority of one hook, per socket cgroup (0 = no full socket)
 * and network namespace.
 */
struct nw_nf_key {
	__u64 cgroup_id;         /* cgroup v2 id of the packet's socket; 0 when it has no full socket */
	__u32 netns;             /* inode of the network namespace the hook ran in */
	__u8 family;             /* NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10) */
	__u8 hook;               /* enum nf_inet_hooks: 0 PRE_ROUTING .. 4 POST_ROUTING */
	__u8 pad[2];
};

/* Key of the per-cgroup event counters (per-CPU hash, value __u64). */
struct nw_counter_key {
	__u64 cgroup_id;
	__u16 kind;              /* enum nw_counter_kind */
	__u16 pad;
	__u32 detail;
};

/*
 * Key of the connect counts (per-CPU hash, value __u64: connect() calls), tcpconnect -c's
 * (LADDR, RADDR, RPORT) per cgroup. The tuple is the socket's when connect() moves it to SYN_SENT:
 * its local port is not chosen yet and is always 0 here. An IPv6 socket connecting to an IPv4
 * address is counted as IPv4 (family AF_INET, both addresses IPv4-mapped).
 */
struct nw_connect_key {
	__u64 cgroup_id;         /* cgroup v2 id of the connecting socket */
	struct nw_tuple t;       /* saddr: local address, daddr and dport: the destination; sport 0 */
};

/*
 * Run-time control (map `control`, one entry), written by the agent while the probes run:
 * its CPU budget raises time_every when the probes cost more than allowed.
 */
struct nw_control {
	__u32 time_every;        /* time the layers of 1 in N packets, picked at their first hook; 0 = none */
	__u32 pad;
};

/*
 * Load-time configuration (rodata, set before load). Run-time state lives in maps.
 */
struct nw_config {
	__u32 sample_every;      /* 1 = every packet event, N = 1 in N, 0 = no packet events */
	__u32 max_events_per_sec;/* cap on sampled packet events per second (0 = no cap) */
	__u32 max_errors_per_sec;/* cap on error events per second (0 = no cap) */
	__u32 filter_uid;        /* the socket owner's uid + 1 to keep, 0 = any owner */
	__u16 filter_sport[NW_PORTS_MAX]; /* socket's local ports to keep, the first 0 ends the list; none = any */
	__u16 filter_dport[NW_PORTS_MAX]; /* socket's remote ports to keep, the same way */
	__u8 http;               /* 1 = capture HTTP/1 first lines into packet events */
	__u8 conn_snapshot;      /* 1 = refresh connection stats on received segments (no iterator) */
	__u8 rx_park_at_tcp;     /* 1 = tcp_probe parks RX packets (transport hook has no socket) */
	__u8 pad[5];
	__u64 snapshot_ns;       /* minimum time between two snapshots of one connection */
};

#pragma clang diagnostic pop

#endif /* NETWATCHER_H */
