/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps, configuration and small helpers shared by every probe group.
 *
 * Access to kernel structures: handlers called from BTF-typed programs (tp_btf, fentry,
 * iter) load fields directly (a plain load with a CO-RE relocation, faults caught by the
 * kernel); helpers ending in _probe use BPF_CORE_READ (bpf_probe_read_kernel) for the kprobe
 * twins, where pointers are untyped.
 */
#ifndef NW_CORE_BPF_H
#define NW_CORE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "netwatcher.h"
#include "compat.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* Load-time configuration, written by the agent before load (BPF rodata). */
const volatile struct nw_config targ_cfg = {
	.sample_every = 1,
	.max_events_per_sec = 0,
	.max_errors_per_sec = 0,
	.snapshot_ns = 100000000ULL,
	.conn_snapshot = 1,
};

/* Ring buffer of every event record; size set by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/*
 * RX driver -> stack: the packets picked at the driver boundary, in a table shared by all CPUs
 * and indexed by a hash of the skb's address (RPS may run the stack on another CPU; GRO merges
 * most picked segments into another skb, and flushes out of arrival order). The stack boundary
 * looks at one slot: a packet that was not picked leaves after one load. An unpicked packet
 * whose skb sits in a slot (a freed picked skb reused) clears it, so a reused address is never
 * taken for the picked packet; a pick whose skb never reaches the stack is overwritten later.
 */
#define NW_RX_PICKS 1024

struct nw_rx_pick {
	__u64 skb;
	__u64 t;
};

static struct nw_rx_pick nw_rx_picks[NW_RX_PICKS];

/* RX stack -> transport: processed synchronously in one softirq, one packet at a time per CPU. */
struct nw_rx_cur {
	__u64 skb;
	__u64 stamps[NW_RX_TRANSPORT + 1];   /* driver, stack, transport */
	__u32 seq;
	__u32 end_seq;
	__u32 ack;
	__u32 len;
	__u32 sampled;
	__u32 pad;
};

/* TX device queue -> driver done: per CPU, matched by skb (a qdisc may hold several). */
#define NW_TX_DEV 16

struct nw_tx_dev {
	__u64 skb;
	__u64 stamps[NW_TX_STAMPS];
	__u64 cookie;
	__u64 cgroup_id;
	__u32 seq;
	__u32 ack;
	__u32 len;
	__u32 sampled;
	__u32 pid;
	__u32 http_len;
	struct nw_tuple t;
	__u8 comm[NW_COMM_LEN];
	__u8 http[NW_HTTP_LEN];
};

struct nw_cpu {
	__u32 pad0;
	__u32 rx_skip;      /* received packets to let pass before the next one is timed */
	__u32 tx_skip;      /* sent segments to let pass before the next one is timed */
	__u32 tx_used;      /* slots of tx[] holding a segment */
	__u64 addr;         /* scratch: a pointer stored here reads back as a number the verifier lets us hash */
	struct nw_rx_cur cur;
	struct nw_tx_dev tx[NW_TX_DEV];
	__u32 tx_next;      /* next slot to fill, round robin */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nw_cpu);
} cpu_state SEC(".maps");

/* Segments queued on a socket and not yet read (socket layer timing). */
struct nw_rx_pending {
	__u64 stamps[NW_RX_QUEUED + 1];   /* driver, stack, transport, queued */
	__u32 seq;
	__u32 end_seq;
	__u32 ack;
	__u32 len;
	__u32 sampled;
	__u32 pad;
};

struct nw_rx_fifo {
	__u32 head;    /* next entry to finish (free-running, mod NW_RX_FIFO) */
	__u32 tail;    /* next entry to fill (free-running); tail - head entries in use */
	struct nw_rx_pending e[NW_RX_FIFO];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_rx_fifo);
} rx_fifo SEC(".maps");

/* --http: the start of the last sampled received segment that looked like HTTP/1. */
struct nw_rx_http {
	__u32 end_seq;
	__u32 len;
	__u8 data[NW_HTTP_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_rx_http);
} rx_http SEC(".maps");

/*
 * TX send -> device: picked segments the application started on a socket, in sequence order.
 * An entry covers its segment's bytes, [seq, end); first transmissions leave in order,
 * so the device boundary pops entries it has passed and times every piece of the one it is in
 * (a segment split for the congestion window leaves in pieces), once: bytes below `sent` are
 * retransmissions. A full FIFO takes no new entry (the oldest leave first; counted as untracked).
 * 32 entries cover a send buffer of 32 full-size GSO segments with every segment timed.
 */
#define NW_TX_FIFO 32

struct nw_tx_pending {
	__u64 t_send;
	__u32 seq;          /* first byte of the segment */
	__u32 end;          /* where the next segment starts (open while this one is the last) */
	__u32 sent;         /* first transmissions reached this byte */
	__u32 sampled;
};

struct nw_tx_fifo {
	__u32 head;
	__u32 tail;
	struct nw_tx_pending e[NW_TX_FIFO];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_tx_fifo);
} tx_fifo SEC(".maps");

/* --http: the start of the last sampled segment sent that looked like HTTP/1. */
struct nw_tx_http {
	__u32 seq;
	__u32 len;
	__u8 data[NW_HTTP_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_tx_http);
} tx_http SEC(".maps");

/* The process that last sent or received on a socket (its owner, for servers and flows). */
struct nw_owner {
	__u32 pid;
	__u32 uid;
	__u8 comm[NW_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_owner);
} owners SEC(".maps");

/*
 * Connections by socket cookie. A plain hash, not LRU: an LRU map evicts silently, and an evicted
 * connection later closes as one never seen. When it is full, the insert fails and is counted
 * (NW_STAT_CONN_FULL), and the connection is kept in socket storage instead (conn.bpf.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u64);
	__type(value, struct nw_conn);
} conns SEC(".maps");

/* Listening sockets by (netns inode, port): owner and the socket for its backlog. */
struct nw_listener_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct nw_listener {
	__u64 sk;
	__u64 cgroup_id;
	__u32 pid;
	__u32 uid;
	__u8 comm[NW_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_listener_key);
	__type(value, struct nw_listener);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nw_hist_key);
	__type(value, struct nw_hists);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nw_counter_key);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Run-time control written by the agent (its CPU budget sets time_every). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nw_control);
} control SEC(".maps");

/* Per-second event budget shared by all CPUs. */
struct nw_budget {
	__u64 second;
	__u32 packets;
	__u32 errors;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nw_budget);
} budget SEC(".maps");

static const struct nw_hists zero_hists;

static __always_inline struct nw_cpu *nw_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/* The slot of nw_rx_picks for an skb: a hash of its address. */
static __always_inline __u64 nw_rx_pick_slot(struct nw_cpu *c, const struct sk_buff *skb)
{
	__u64 a;

	*(volatile __u64 *)&c->addr = (__u64)skb;
	a = *(volatile __u64 *)&c->addr;
	return NW_IDX((a >> 8) ^ (a >> 18), NW_RX_PICKS);
}

static __always_inline void nw_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* Port filter, from the socket's point of view: sport local, dport remote. */
static __always_inline bool nw_ports_match(__u16 local, __u16 remote)
{
	if (targ_cfg.filter_sport && targ_cfg.filter_sport != local)
		return false;
	if (targ_cfg.filter_dport && targ_cfg.filter_dport != remote)
		return false;
	return true;
}

/*
 * Time this packet? Decided once, at the first hook a packet meets (RX: the driver boundary,
 * TX: the send boundary): 1 in control.time_every, with random gaps of that mean so periodic
 * traffic cannot alias with the sampling. Later hooks follow only the packets picked here, so
 * every other packet leaves them at their first instructions. `skip` is this CPU's countdown.
 */
static __always_inline bool nw_pick(__u32 *skip)
{
	__u32 zero = 0, every;
	struct nw_control *ctl = bpf_map_lookup_elem(&control, &zero);

	every = ctl ? ctl->time_every : 0;
	if (every <= 1)
		return every == 1;
	if (*skip >= 2 * every - 1) /* drawn under a sparser sampling: draw again */
		*skip = bpf_get_prandom_u32() % (2 * every - 1);
	if (*skip) {
		*skip -= 1;
		return false;
	}
	*skip = bpf_get_prandom_u32() % (2 * every - 1);
	return true;
}

/*
 * Sample this packet for an event? One in sample_every, and not when this second's event
 * budget is already spent (a plain read: the budget is only taken when an event is emitted).
 */
static __always_inline bool nw_sample(__u64 now)
{
	__u32 n = targ_cfg.sample_every, cap = targ_cfg.max_events_per_sec, zero = 0;
	struct nw_budget *b;

	if (n == 0)
		return false;
	if (n > 1 && bpf_get_prandom_u32() % n != 0)
		return false;
	if (cap == 0)
		return true;
	b = bpf_map_lookup_elem(&budget, &zero);
	return !b || b->second != now / 1000000000ULL || b->packets < cap;
}

/* Take one event from this second's budget; false (and counted) when it is spent. */
static __always_inline bool nw_budget_take(bool packet)
{
	__u32 cap = packet ? targ_cfg.max_events_per_sec : targ_cfg.max_errors_per_sec;
	__u32 zero = 0, used;
	struct nw_budget *b;
	__u64 sec;

	if (cap == 0)
		return true;
	b = bpf_map_lookup_elem(&budget, &zero);
	if (!b)
		return true;
	sec = bpf_ktime_get_ns() / 1000000000ULL;
	if (b->second != sec) {
		/* Racy reset across CPUs: at worst a few extra events in a new second. */
		b->second = sec;
		b->packets = 0;
		b->errors = 0;
	}
	if (packet)
		used = __sync_fetch_and_add(&b->packets, 1);
	else
		used = __sync_fetch_and_add(&b->errors, 1);
	if (used < cap)
		return true;
	nw_stat(packet ? NW_STAT_SAMPLE_CAPPED : NW_STAT_ERR_CAPPED);
	return false;
}

static __always_inline void *nw_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		nw_stat(NW_STAT_RINGBUF_LOST);
	return e;
}

/*
 * Commit an event without waking the reader (a wake-up costs microseconds per event); the agent
 * reads every 100 ms, and is woken at once when the ring fills past an eighth: by the record that
 * crosses that mark (the fill before it, less this record, was below it), not by every record after
 * it. Reservations racing on other CPUs can carry the fill across the mark between a record's
 * reserve and this check, so a crossing may wake no one: the 100 ms timer bounds that.
 */
static __always_inline void nw_submit_sized(void *e, __u64 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 mark = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 8;
	__u64 rec = (size + 8 + 7) & ~7ULL; /* with its header, 8-byte aligned */

	if (avail > mark && avail <= mark + rec) {
		nw_stat(NW_STAT_RB_WAKEUP);
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		return;
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

#define nw_submit(e) nw_submit_sized((e), sizeof(*(e)))

static __always_inline __u32 nw_log2(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xFFFFFFFFULL) << 5; v >>= r;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* The histograms of one cgroup and direction, created on first use. */
static __always_inline struct nw_hists *nw_hists_get(__u64 cgroup_id, __u8 dir)
{
	struct nw_hist_key k = { .cgroup_id = cgroup_id, .direction = dir };
	struct nw_hists *h;

	h = bpf_map_lookup_elem(&hists, &k);
	if (h)
		return h;
	bpf_map_update_elem(&hists, &k, &zero_hists, BPF_NOEXIST);
	h = bpf_map_lookup_elem(&hists, &k);
	if (!h)
		nw_stat(NW_STAT_HIST_FULL);
	return h;
}

/* Per-CPU values: plain increments (a rare nested program on the same CPU may lose one). */
static __always_inline void nw_hist_put(struct nw_hists *h, __u32 layer, __u64 delta_ns)
{
	struct nw_hist *l;
	__u32 slot;

	if (layer >= NW_HIST_LAYERS)
		return;
	l = &h->layer[layer];
	slot = nw_log2(delta_ns);
	if (slot >= NW_HIST_SLOTS)
		slot = NW_HIST_SLOTS - 1;
	l->count += 1;
	l->sum_ns += delta_ns;
	l->slots[NW_IDX(slot, NW_HIST_SLOTS)] += 1;
}

static __always_inline void nw_count_n(__u64 cgroup_id, __u16 kind, __u32 detail, __u64 n)
{
	struct nw_counter_key k = { .cgroup_id = cgroup_id, .kind = kind, .detail = detail };
	__u64 *v;

	v = bpf_map_lookup_elem(&counters, &k);
	if (v) {
		*v += n;
		return;
	}
	bpf_map_update_elem(&counters, &k, &n, BPF_NOEXIST);
}

static __always_inline void nw_count(__u64 cgroup_id, __u16 kind, __u32 detail)
{
	nw_count_n(cgroup_id, kind, detail, 1);
}

#define NW_WORD(a, b, c, d) ((__u32)(a) | ((__u32)(b) << 8) | ((__u32)(c) << 16) | ((__u32)(d) << 24))

/* Do these bytes start an HTTP/1 request or response? */
static __always_inline bool nw_is_http(const __u8 *b)
{
	__u32 w = NW_WORD(b[0], b[1], b[2], b[3]);

	return w == NW_WORD('G', 'E', 'T', ' ') || w == NW_WORD('P', 'O', 'S', 'T') ||
	       w == NW_WORD('P', 'U', 'T', ' ') || w == NW_WORD('H', 'E', 'A', 'D') ||
	       w == NW_WORD('D', 'E', 'L', 'E') || w == NW_WORD('P', 'A', 'T', 'C') ||
	       w == NW_WORD('O', 'P', 'T', 'I') || w == NW_WORD('C', 'O', 'N', 'N') ||
	       w == NW_WORD('T', 'R', 'A', 'C') || w == NW_WORD('H', 'T', 'T', 'P');
}

/* Is a before b in sequence space? */
static __always_inline bool nw_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* --- sockets (typed pointers) ------------------------------------------- */

static __always_inline __u16 nw_sk_family(const struct sock *sk)
{
	return sk->__sk_common.skc_family;
}

static __always_inline bool nw_sk_is_tcp(const struct sock *sk)
{
	__u16 fam = nw_sk_family(sk);

	if (fam != AF_INET && fam != AF_INET6)
		return false;
	return nw_sk_protocol(sk) == IPPROTO_TCP;
}

static __always_inline void nw_tuple_from_common(const struct sock_common *c, struct nw_tuple *t)
{
	__u16 fam = c->skc_family;

	t->family = fam;
	t->sport = c->skc_num;
	t->dport = bpf_ntohs(c->skc_dport);
	if (fam == AF_INET) {
		__u32 s = c->skc_rcv_saddr, d = c->skc_daddr;

		__builtin_memset(t->saddr, 0, 10);
		__builtin_memset(t->daddr, 0, 10);
		t->saddr[10] = 0xff;
		t->saddr[11] = 0xff;
		t->daddr[10] = 0xff;
		t->daddr[11] = 0xff;
		__builtin_memcpy(&t->saddr[12], &s, 4);
		__builtin_memcpy(&t->daddr[12], &d, 4);
	} else {
		__u32 a0 = c->skc_v6_rcv_saddr.in6_u.u6_addr32[0], a1 = c->skc_v6_rcv_saddr.in6_u.u6_addr32[1];
		__u32 a2 = c->skc_v6_rcv_saddr.in6_u.u6_addr32[2], a3 = c->skc_v6_rcv_saddr.in6_u.u6_addr32[3];
		__u32 b0 = c->skc_v6_daddr.in6_u.u6_addr32[0], b1 = c->skc_v6_daddr.in6_u.u6_addr32[1];
		__u32 b2 = c->skc_v6_daddr.in6_u.u6_addr32[2], b3 = c->skc_v6_daddr.in6_u.u6_addr32[3];

		__builtin_memcpy(&t->saddr[0], &a0, 4);
		__builtin_memcpy(&t->saddr[4], &a1, 4);
		__builtin_memcpy(&t->saddr[8], &a2, 4);
		__builtin_memcpy(&t->saddr[12], &a3, 4);
		__builtin_memcpy(&t->daddr[0], &b0, 4);
		__builtin_memcpy(&t->daddr[4], &b1, 4);
		__builtin_memcpy(&t->daddr[8], &b2, 4);
		__builtin_memcpy(&t->daddr[12], &b3, 4);
	}
}

static __always_inline void nw_tuple_from_sk(const struct sock *sk, struct nw_tuple *t)
{
	nw_tuple_from_common(&sk->__sk_common, t);
}

static __always_inline __u16 nw_sk_lport(const struct sock *sk)
{
	return sk->__sk_common.skc_num;
}

static __always_inline __u16 nw_sk_rport(const struct sock *sk)
{
	return bpf_ntohs(sk->__sk_common.skc_dport);
}

static __always_inline bool nw_sk_match(const struct sock *sk)
{
	if (!targ_cfg.filter_sport && !targ_cfg.filter_dport)
		return true;
	return nw_ports_match(nw_sk_lport(sk), nw_sk_rport(sk));
}

/* The tcp_sock of a typed socket pointer (NULL if it is not a full TCP socket). */
static __always_inline struct tcp_sock *nw_tcp_sk(const struct sock *sk)
{
	return bpf_skc_to_tcp_sock((void *)sk);
}

static __always_inline __u32 nw_sk_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

/* --- sockets (untyped pointers, for kprobe twins) --------------------------- */

static __always_inline void nw_tuple_from_sk_probe(const struct sock *sk, struct nw_tuple *t)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);

	t->family = fam;
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (fam == AF_INET) {
		t->saddr[10] = 0xff;
		t->saddr[11] = 0xff;
		t->daddr[10] = 0xff;
		t->daddr[11] = 0xff;
		bpf_core_read(&t->saddr[12], 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(&t->daddr[12], 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(t->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

static __always_inline bool nw_sk_is_tcp_probe(const struct sock *sk)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (fam != AF_INET && fam != AF_INET6)
		return false;
	return nw_sk_protocol_probe(sk) == IPPROTO_TCP;
}

static __always_inline bool nw_sk_match_probe(const struct sock *sk)
{
	if (!targ_cfg.filter_sport && !targ_cfg.filter_dport)
		return true;
	return nw_ports_match(BPF_CORE_READ(sk, __sk_common.skc_num),
			      bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)));
}

/* --- packets ------------------------------------------------------------- */

/* A TCP segment parsed from its headers, addresses as on the wire (s = sender). */
struct nw_pkt {
	struct nw_tuple t;
	__u32 seq;
	__u32 ack;
	__u32 payload;
	__u8 proto;
	__u8 flags;
	__u16 pad;
};

/*
 * Parse IPv4/IPv6 + TCP/UDP headers at `nh` (the network header). Returns 0 for a
 * TCP or UDP packet (ports set), 1 for another IP protocol, -1 when not parsable.
 */
static __always_inline int nw_parse_l3(const unsigned char *nh, __u16 eth_proto, struct nw_pkt *p)
{
	__u32 l4off;
	__u16 totlen;

	if (eth_proto == bpf_htons(ETH_P_IP)) {
		struct {
			struct iphdr ip;
			struct tcphdr th;   /* valid when the IP header has no options */
		} __attribute__((packed)) hdrs;
		struct iphdr ip;

		if (bpf_probe_read_kernel(&hdrs, sizeof(hdrs), nh))
			return -1;
		ip = hdrs.ip;
		if (ip.ihl == 5 && ip.protocol == IPPROTO_TCP) {
			__u32 hl = hdrs.th.doff * 4;

			p->proto = IPPROTO_TCP;
			p->t.family = AF_INET;
			p->t.saddr[10] = 0xff;
			p->t.saddr[11] = 0xff;
			p->t.daddr[10] = 0xff;
			p->t.daddr[11] = 0xff;
			__builtin_memcpy(&p->t.saddr[12], &ip.saddr, 4);
			__builtin_memcpy(&p->t.daddr[12], &ip.daddr, 4);
			totlen = bpf_ntohs(ip.tot_len);
			p->t.sport = bpf_ntohs(hdrs.th.source);
			p->t.dport = bpf_ntohs(hdrs.th.dest);
			p->seq = bpf_ntohl(hdrs.th.seq);
			p->ack = bpf_ntohl(hdrs.th.ack_seq);
			p->flags = ((__u8 *)&hdrs.th)[13];
			p->payload = totlen > 20 + hl ? totlen - 20 - hl : 0;
			return 0;
		}
		if ((ip.ihl) < 5)
			return -1;
		l4off = ip.ihl * 4;
		totlen = bpf_ntohs(ip.tot_len);
		p->proto = ip.protocol;
		p->t.family = AF_INET;
		p->t.saddr[10] = 0xff;
		p->t.saddr[11] = 0xff;
		p->t.daddr[10] = 0xff;
		p->t.daddr[11] = 0xff;
		__builtin_memcpy(&p->t.saddr[12], &ip.saddr, 4);
		__builtin_memcpy(&p->t.daddr[12], &ip.daddr, 4);
		p->payload = totlen > l4off ? totlen - l4off : 0;
	} else if (eth_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), nh))
			return -1;
		l4off = sizeof(ip6);
		p->proto = ip6.nexthdr;
		p->t.family = AF_INET6;
		__builtin_memcpy(p->t.saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->t.daddr, &ip6.daddr, 16);
		p->payload = bpf_ntohs(ip6.payload_len);
	} else {
		return -1;
	}
	if (p->proto == IPPROTO_TCP) {
		struct tcphdr th;
		__u32 hl;

		if (bpf_probe_read_kernel(&th, sizeof(th), nh + l4off))
			return -1;
		p->t.sport = bpf_ntohs(th.source);
		p->t.dport = bpf_ntohs(th.dest);
		p->seq = bpf_ntohl(th.seq);
		p->ack = bpf_ntohl(th.ack_seq);
		p->flags = ((__u8 *)&th)[13];
		hl = th.doff * 4;
		p->payload = p->payload > hl ? p->payload - hl : 0;
		return 0;
	}
	if (p->proto == IPPROTO_UDP) {
		struct udphdr uh;

		if (bpf_probe_read_kernel(&uh, sizeof(uh), nh + l4off))
			return -1;
		p->t.sport = bpf_ntohs(uh.source);
		p->t.dport = bpf_ntohs(uh.dest);
		p->payload = p->payload > 8 ? p->payload - 8 : 0;
		return 0;
	}
	return 1;
}

/* Parse from the skb's recorded network header (set once IP has seen the packet). */
static __always_inline int nw_parse_skb_nh(const struct sk_buff *skb, struct nw_pkt *p)
{
	__u16 nhoff = skb->network_header;

	if (nhoff == (__u16)~0U)
		return -1;
	return nw_parse_l3(skb->head + nhoff, skb->protocol, p);
}

/* Flip a wire tuple (sender first) to the receiving socket's view (local first). */
static __always_inline void nw_tuple_reverse(const struct nw_tuple *in, struct nw_tuple *out)
{
	__builtin_memcpy(out->saddr, in->daddr, 16);
	__builtin_memcpy(out->daddr, in->saddr, 16);
	out->sport = in->dport;
	out->dport = in->sport;
	out->family = in->family;
}

static __always_inline void nw_fill_hdr(struct nw_event_hdr *h, __u16 type, __u64 cookie, __u64 cgroup_id)
{
	h->type = type;
	h->flags = 0;
	h->pid = 0;
	h->ts_ns = bpf_ktime_get_ns();
	h->cookie = cookie;
	h->cgroup_id = cgroup_id;
}

#endif /* NW_CORE_BPF_H */
