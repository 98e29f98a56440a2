/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-layer packet latency. RX: driver -> stack -> transport -> queued -> read.
 * TX: send -> device queue -> driver start -> driver done.
 *
 * Packets are picked for timing at their first hook (RX: the driver boundary, TX: the send
 * boundary), 1 in control.time_every (nw_pick); every later hook follows only picked packets, so
 * the others leave each hook at its first instructions. Of the picked packets, TCP segments with
 * payload are timed, with no hash map touched per packet:
 *  RX  driver -> stack      per-CPU FIFO ring (a CPU's backlog is FIFO)
 *      stack -> transport   per-CPU current packet (one softirq, one packet at a time)
 *      transport -> read    per-socket FIFO in socket storage, finished when the
 *                           application has read past the segment's last byte
 *  TX  send -> device       per-socket FIFO in socket storage, in sequence order
 *      device -> done       per-CPU table matched by skb
 * Histograms take one per-CPU hash lookup per timed packet: RX every layer when the segment is
 * read (or, if the socket FIFO is full, link and ip at transport); TX when the segment leaves.
 * Event fields (process, tuple, HTTP line) are gathered only for sampled packets.
 * Picked UDP datagrams share the RX driver -> transport path and the TX device table; the rest of
 * their way (transport -> queued -> read, and their pick at the device boundary) is in udp.bpf.h.
 */
#ifndef NW_PACKET_BPF_H
#define NW_PACKET_BPF_H

#include "emit.bpf.h"
#include "hist.bpf.h"
#include "sample.bpf.h"
#include "sock.bpf.h"

#define NW_TCP_FIN 0x01
#define NW_TCP_SYN 0x02

/* Time and count UDP datagrams too (udp.bpf.h); the agent clears it for --no-udp. */
const volatile bool targ_udp = true;

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
	__u32 proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	struct nw_tuple t;  /* UDP: the datagram's, sender first */
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
	__u32 proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	__u32 pad;
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
	__u32 seen;    /* every byte before this sequence number has reached the socket */
	__u32 seen_set;
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

/* UDP (udp.bpf.h): a picked datagram at transport entry, a datagram from a UDP socket at the device. */
static __always_inline void nw_udp_rx_transport(struct __sk_buff *ctx, struct bpf_sock *sk, struct nw_rx_cur *r);
static __always_inline bool nw_udp_tx_devq(const struct sk_buff *skb, struct sock *sk);

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

/* --- RX ------------------------------------------------------------------ */

/* A driver hands a packet up: if it is picked for timing, remember when, by its skb. */
static __always_inline void nw_rx_driver(const struct sk_buff *skb)
{
	struct nw_cpu *c = nw_cpu();
	__u64 i;

	if (!c)
		return;
	i = nw_rx_pick_slot(c, skb);
	if (!nw_pick(&c->rx_skip)) {
		if (nw_rx_picks[i].skb == (__u64)skb)
			nw_rx_picks[i].skb = 0; /* a picked packet's freed skb came back as a new packet */
		return;
	}
	nw_stat(NW_STAT_RX_PICKED);
	nw_rx_picks[i].t = bpf_ktime_get_ns();
	nw_rx_picks[i].skb = (__u64)skb;
}

/* A pick older than this at the stack boundary is taken as stale, not timed. */
#define NW_RX_STALE_NS 1000000000ULL

/*
 * Core stack dispatch: the network header is at skb->data. A picked TCP segment with payload
 * becomes this CPU's current packet; every other packet leaves after one table load.
 */
static __always_inline void nw_rx_stack(const struct sk_buff *skb)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_pkt p = {};
	__u64 now, t0, i;

	if (!c)
		return;
	if (c->cur.skb)
		c->cur.skb = 0;
	i = nw_rx_pick_slot(c, skb);
	if (nw_rx_picks[i].skb != (__u64)skb)
		return; /* not picked */
	t0 = nw_rx_picks[i].t;
	nw_rx_picks[i].skb = 0;
	now = bpf_ktime_get_ns();
	if (t0 > now || now - t0 >= NW_RX_STALE_NS)
		return;
	if (nw_parse_l3(skb->data, skb->protocol, &p) != 0)
		return;
	if (p.proto == IPPROTO_UDP) {
		__u16 frag = 0;

		if (!targ_udp)
			return;
		/* An IPv4 fragment: its datagram is reassembled later, in another skb (IPv6 fragments
		 * have another next header and do not get here). Counted when read, not timed. */
		if (p.t.family == AF_INET && (bpf_probe_read_kernel(&frag, sizeof(frag), skb->data + 6) ||
					      (frag & bpf_htons(0x3fff))))
			return;
		c->cur.t = p.t; /* reported with the datagram: an unconnected socket has no peer */
	} else if (p.proto != IPPROTO_TCP || p.payload == 0) {
		return;
	}
	if (!nw_ports_match(p.t.dport, p.t.sport))
		return;
	c->cur.proto = p.proto;
	c->cur.skb = (__u64)skb;
	c->cur.stamps[NW_RX_DRIVER] = t0;
	c->cur.stamps[NW_RX_STACK] = now;
	c->cur.stamps[NW_RX_TRANSPORT] = 0;
	c->cur.seq = p.seq;
	c->cur.end_seq = p.seq + p.payload + ((p.flags & NW_TCP_FIN) ? 1 : 0) + ((p.flags & NW_TCP_SYN) ? 1 : 0);
	c->cur.ack = p.ack;
	c->cur.len = p.payload;
	c->cur.sampled = nw_sample(now);
}

/* This CPU's current packet if it is `skb`. */
static __always_inline struct nw_rx_cur *nw_rx_current(struct nw_cpu *c, __u64 skb)
{
	return c->cur.skb && c->cur.skb == skb ? &c->cur : 0;
}

/*
 * --http: keep the start of a sampled received segment if it looks like HTTP/1. Read at the
 * cgroup_skb ingress hook, where bpf_skb_load_bytes also reaches paged data (offset 0 is the
 * IP header there).
 */
static __always_inline void nw_rx_http_from_ctx(struct __sk_buff *ctx, struct bpf_sock *sk, __u32 end_seq)
{
	struct nw_rx_http *h;
	__u8 buf[NW_HTTP_LEN] = {};
	__u8 b0, doff;
	__u32 l4, off, len;

	if (bpf_skb_load_bytes(ctx, 0, &b0, 1))
		return;
	if ((b0 >> 4) == 4)
		l4 = (b0 & 0xf) * 4;
	else if ((b0 >> 4) == 6)
		l4 = 40;
	else
		return;
	if (bpf_skb_load_bytes(ctx, l4 + 12, &doff, 1))
		return;
	off = l4 + (doff >> 4) * 4;
	if (ctx->len <= off)
		return;
	len = ctx->len - off;
	if (len > NW_HTTP_LEN)
		len = NW_HTTP_LEN;
	if (len < 4)
		return;
	if (bpf_skb_load_bytes(ctx, off, buf, len) || !nw_is_http(buf))
		return;
	h = bpf_sk_storage_get(&rx_http, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!h)
		return;
	h->end_seq = end_seq;
	h->len = len;
	__builtin_memcpy(h->data, buf, NW_HTTP_LEN);
}

/*
 * Not timed past transport: keep what is known (link, ip) in the histograms. `stat` says why:
 * the FIFO was full (rx_untracked), or the segment carried only bytes already received
 * (rx_duplicate).
 */
static __always_inline void nw_rx_untracked(const struct nw_rx_cur *r, __u64 cg, __u32 stat)
{
	struct nw_hists *h = nw_hists_get(cg, NW_DIR_RX);

	if (h)
		nw_hist_layers(h, r->stamps, NW_RX_DRIVER, NW_RX_TRANSPORT);
	nw_stat(stat);
}

/* TCP states in which rcv_nxt is the next byte the peer sends (ESTABLISHED ... CLOSING, not LISTEN). */
#define NW_RCV_STATES ((1 << 1) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 11))

static __always_inline bool nw_rcv_state(__u32 state)
{
	return state < 32 && ((1U << state) & NW_RCV_STATES);
}

/*
 * Park a timed segment in the socket's FIFO until it is readable and read. `rcv_nxt` (valid when
 * `known`) is the socket's before TCP processes the segment. f->seen: every byte before it was
 * accepted by TCP (rcv_nxt) or reached this transport entry in a segment seen here (parked, or
 * not parked for a full FIFO). A segment that ends at or below f->seen carries only such bytes (a
 * retransmission, or a copy that TCP drops): it is not parked, so it is neither a packet event
 * nor a socket-layer time. A segment TCP drops after this entry undoes its part (nw_rx_dropped;
 * before v6.11 kfree_skb does not name the socket: its retransmission counts as a duplicate and
 * the parked first copy is finished when its bytes are read, the recovery time in its socket
 * layer). Returns NW_STAT_RX_UNTRACKED or NW_STAT_RX_DUPLICATE when not parked, 0 when parked.
 */
static __always_inline __u32 nw_rx_park(struct nw_rx_fifo *f, const struct nw_rx_cur *r, __u32 rcv_nxt, bool known)
{
	struct nw_rx_pending *e;

	/* seen may run ahead of rcv_nxt by what is in flight (at most a window, below 1 GiB); further
	 * ahead it is stale (2 GiB received unseen, the sequence space wrapped): take rcv_nxt. */
	if (known && (!f->seen_set || (__u32)(f->seen - rcv_nxt) > (1U << 30))) {
		f->seen = rcv_nxt;
		f->seen_set = 1;
	}
	if (f->seen_set) {
		if (!nw_before(f->seen, r->end_seq))
			return NW_STAT_RX_DUPLICATE;
		if (!nw_before(f->seen, r->seq)) /* follows on from what was seen */
			f->seen = r->end_seq;
	}
	if (f->tail - f->head >= NW_RX_FIFO)
		return NW_STAT_RX_UNTRACKED;
	/* Single producer (under the socket lock or in its softirq); the reader only advances head. */
	e = &f->e[NW_IDX(f->tail, NW_RX_FIFO)];
	e->stamps[NW_RX_DRIVER] = r->stamps[NW_RX_DRIVER];
	e->stamps[NW_RX_STACK] = r->stamps[NW_RX_STACK];
	e->stamps[NW_RX_TRANSPORT] = r->stamps[NW_RX_TRANSPORT];
	e->stamps[NW_RX_QUEUED] = 0;
	e->seq = r->seq;
	e->end_seq = r->end_seq;
	e->ack = r->ack;
	e->len = r->len;
	e->sampled = r->sampled;
	f->tail += 1;
	return 0;
}

/* Entry i of a FIFO counted from `head`, or 0 at `tail` (the loops over a FIFO stop there). */
static __always_inline struct nw_rx_pending *nw_rx_entry(struct nw_rx_fifo *f, __u32 head, __u32 tail, __u32 i)
{
	return head + i == tail ? 0 : &f->e[NW_IDX(head + i, NW_RX_FIFO)];
}

/*
 * TCP dropped a received segment after the transport entry (socket filter, backlog or receive
 * memory full; v6.11+ names the socket in kfree_skb) with bytes beyond rcv_nxt (not a duplicate
 * dropped as old data). Its bytes did not arrive: `seen` is taken
 * from rcv_nxt again at the next segment, so the retransmission is timed, and the parked copy
 * loses its stamps and its sample: it leaves the FIFO with the read of its bytes like any entry,
 * but puts no time in a histogram and no event in the ring (a "queued" stamp later than any
 * read fails every layer's order check, and nw_rx_queued leaves a stamped entry alone).
 */
static __always_inline void nw_rx_dropped(const struct sk_buff *skb, struct sock *sk)
{
	struct nw_rx_fifo *f;
	struct tcp_sock *tp;
	struct nw_pkt p = {};
	__u32 head, tail, end, i;

	f = bpf_sk_storage_get(&rx_fifo, sk, 0, 0);
	if (!f)
		return;
	if (nw_parse_skb_nh(skb, &p) != 0 || p.proto != IPPROTO_TCP || p.payload == 0)
		return;
	end = p.seq + p.payload + ((p.flags & NW_TCP_FIN) ? 1 : 0) + ((p.flags & NW_TCP_SYN) ? 1 : 0);
	/* A duplicate TCP drops as old data: its bytes did arrive, `seen` stays. */
	tp = nw_tcp_sk(sk);
	if (!tp || !nw_before(tp->rcv_nxt, end))
		return;
	f->seen_set = 0;
	head = f->head;
	tail = f->tail;
#pragma unroll
	for (i = 0; i < NW_RX_FIFO; i++) {
		struct nw_rx_pending *e = nw_rx_entry(f, head, tail, i);

		if (!e)
			break;
		if (e->seq == p.seq && e->end_seq == end && !e->stamps[NW_RX_QUEUED]) {
			e->stamps[NW_RX_DRIVER] = 0;
			e->stamps[NW_RX_STACK] = 0;
			e->stamps[NW_RX_TRANSPORT] = 0;
			e->stamps[NW_RX_QUEUED] = ~0ULL;
			e->sampled = 0;
			break;
		}
	}
}

/*
 * Transport entry (cgroup_skb ingress, after the socket lookup): stamp, then move the
 * packet to its socket's FIFO; from here it is timed even if it waits in the socket backlog.
 */
static __always_inline void nw_rx_transport_cg(struct __sk_buff *ctx, __u64 skb)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_rx_cur *r;
	struct bpf_sock *sk;
	struct nw_rx_fifo *f;
	struct tcp_sock *tp;
	__u32 stat;

	if (!c)
		return;
	r = nw_rx_current(c, skb);
	if (!r)
		return;
	r->stamps[NW_RX_TRANSPORT] = bpf_ktime_get_ns();
	sk = ctx->sk;
	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (r->proto == IPPROTO_UDP) {
		if (sk)
			nw_udp_rx_transport(ctx, sk, r); /* stays current until it is queued */
		else
			c->cur.skb = 0;
		return;
	}
	c->cur.skb = 0;
	if (!sk)
		return;
	f = bpf_sk_storage_get(&rx_fifo, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!f)
		return;
	tp = nw_rcv_state(sk->state) ? bpf_skc_to_tcp_sock(sk) : 0;
	stat = nw_rx_park(f, r, tp ? tp->rcv_nxt : 0, tp != 0);
	if (stat)
		nw_rx_untracked(r, bpf_skb_cgroup_id(ctx), stat);
	if (targ_cfg.http && r->sampled && stat != NW_STAT_RX_DUPLICATE)
		nw_rx_http_from_ctx(ctx, sk, r->end_seq);
}

/* Transport entry where the socket is not known yet (fentry/kprobe on tcp_v[46]_rcv). */
static __always_inline void nw_rx_transport_stamp(__u64 skb)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_rx_cur *r;

	if (!c)
		return;
	r = nw_rx_current(c, skb);
	if (r)
		r->stamps[NW_RX_TRANSPORT] = bpf_ktime_get_ns();
}

/*
 * TCP processing of an established socket (tcp_probe): parks the current packet when the
 * transport boundary could not (no cgroup_skb backing). A packet that waited in the socket
 * backlog has left this CPU's current slot by now and is not timed past transport.
 */
static __always_inline void nw_rx_tcp(struct sock *sk, const struct sk_buff *skb)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_rx_cur *r;
	struct nw_rx_fifo *f;
	struct tcp_sock *tp;
	__u32 stat;

	if (!c)
		return;
	r = nw_rx_current(c, (__u64)skb);
	if (!r || r->proto != IPPROTO_TCP)
		return;
	c->cur.skb = 0;
	f = bpf_sk_storage_get(&rx_fifo, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!f)
		return;
	tp = nw_rcv_state(sk->__sk_common.skc_state) ? nw_tcp_sk(sk) : 0;
	stat = nw_rx_park(f, r, tp ? tp->rcv_nxt : 0, tp != 0);
	if (stat)
		nw_rx_untracked(r, nw_sk_cgroup_id(sk), stat);
}

/* Data is readable: every parked segment now below rcv_nxt is in the receive queue. */
static __always_inline void nw_rx_queued(const struct sock *sk, struct nw_rx_fifo *f)
{
	struct tcp_sock *tp;
	__u32 head = f->head, tail = f->tail, i, rcv_nxt;
	__u64 now = 0;

	if (head == tail)
		return;
	tp = nw_tcp_sk(sk);
	if (!tp)
		return;
	rcv_nxt = tp->rcv_nxt;

#pragma unroll
	for (i = 0; i < NW_RX_FIFO; i++) {
		struct nw_rx_pending *e = nw_rx_entry(f, head, tail, i);

		if (!e)
			break;
		if (e->stamps[NW_RX_QUEUED] || nw_before(rcv_nxt, e->end_seq))
			continue;
		if (!now)
			now = bpf_ktime_get_ns();
		e->stamps[NW_RX_QUEUED] = now;
	}
}

/* The application read: finish every segment whose last byte has been copied. */
static __always_inline void nw_rx_read(const struct sock *sk, struct nw_rx_fifo *f, __u64 cookie)
{
	struct tcp_sock *tp;
	__u32 head = f->head, tail = f->tail, i, copied;
	struct nw_hists *h = 0;
	__u64 now = 0, cg = 0;

	if (head == tail)
		return;
	tp = nw_tcp_sk(sk);
	if (!tp)
		return;
	copied = tp->copied_seq;

#pragma unroll
	for (i = 0; i < NW_RX_FIFO; i++) {
		struct nw_rx_pending *e;
		__u64 s[NW_RX_STAMPS];

		if (head == tail)
			break;
		e = &f->e[NW_IDX(head, NW_RX_FIFO)];
		if (nw_before(copied, e->end_seq))
			break;
		if (!now) {
			now = bpf_ktime_get_ns();
			cg = nw_sk_cgroup_id(sk);
			h = nw_hists_get(cg, NW_DIR_RX);
		}
		s[0] = e->stamps[0];
		s[1] = e->stamps[1];
		s[2] = e->stamps[2];
		s[3] = e->stamps[3];
		s[4] = now;
		if (h) {
			nw_hist_layers(h, s, NW_RX_DRIVER, NW_RX_READ);
			nw_hist_total(h, s, NW_RX_STAMPS);
		}
		/* --uid: the reader's (rodata: no check without the filter). */
		if (e->sampled && nw_uid_match((__u32)bpf_get_current_uid_gid()) && nw_budget_take(true)) {
			struct nw_packet_event *ev = nw_reserve(sizeof(*ev));

			if (ev) {
				__builtin_memset(ev, 0, sizeof(*ev));
				nw_fill_hdr(&ev->h, NW_EV_PACKET, cookie ? cookie : bpf_get_socket_cookie((void *)sk), cg);
				nw_tuple_from_sk(sk, &ev->h.t);
				ev->direction = NW_DIR_RX;
				ev->protocol = IPPROTO_TCP;
				ev->h.pid = bpf_get_current_pid_tgid() >> 32;
				bpf_get_current_comm(ev->comm, sizeof(ev->comm));
				ev->seq = e->seq;
				ev->ack = e->ack;
				ev->len = e->len;
				__builtin_memcpy(ev->stamps, s, sizeof(s));
				if (targ_cfg.http) {
					struct nw_rx_http *hh = bpf_sk_storage_get(&rx_http, (struct sock *)sk, 0, 0);

					if (hh && hh->end_seq == e->end_seq && hh->len <= NW_HTTP_LEN) {
						ev->http_len = hh->len;
						__builtin_memcpy(ev->http, hh->data, NW_HTTP_LEN);
					}
				}
				nw_submit(ev);
			}
		}
		head++;
	}
	f->head = head;
}

/* --- TX ------------------------------------------------------------------ */

/*
 * Peek at the application's next bytes in a sendmsg (for --http): user memory behind the
 * msghdr's iov_iter (nw_iter_user_base: ITER_UBUF or ITER_IOVEC).
 */
static __always_inline __u32 nw_msg_peek(const struct msghdr *msg, __u8 *buf)
{
	const struct iov_iter *it = &msg->msg_iter;
	const __u8 *base = nw_iter_user_base(it);
	__u64 off, count;
	__u32 len;

	if (!base)
		return 0;
	off = BPF_CORE_READ(it, iov_offset);
	count = BPF_CORE_READ(it, count);
	len = count < NW_HTTP_LEN ? count : NW_HTTP_LEN;
	if (len < 4 || len > NW_HTTP_LEN)
		return 0;
	if (bpf_probe_read_user(buf, len, base + off))
		return 0;
	return nw_is_http(buf) ? len : 0;
}

/*
 * A segment that was not picked starts at write_seq: the socket's last picked segment, if any,
 * ends there (its pieces leaving later must not take this one's bytes).
 */
static __always_inline void nw_tx_close_tail(struct sock *sk)
{
	struct nw_tx_fifo *f = bpf_sk_storage_get(&tx_fifo, sk, 0, 0);
	struct nw_tx_pending *last;
	struct tcp_sock *tp;

	if (!f || f->tail == f->head)
		return;
	tp = nw_tcp_sk(sk);
	if (!tp)
		return;
	last = &f->e[NW_IDX(f->tail - 1, NW_TX_FIFO)];
	if (last->seq != tp->write_seq && nw_before(tp->write_seq, last->end))
		last->end = tp->write_seq;
}

/* An entry's end while its segment is the last one: half the sequence space ahead. */
#define NW_TX_OPEN (1U << 30)

/*
 * The application's bytes starting at write_seq enter a new segment of `sk` (a BTF-typed socket):
 * if picked, queue it in the socket's TX FIFO; it covers the bytes up to where the next segment
 * starts, picked or not (the tail segment takes appended data as the size goal grows). A full FIFO
 * keeps its entries (the oldest leave first) and this segment is not timed (counted).
 */
static __always_inline void nw_tx_send(struct sock *sk, const struct msghdr *msg)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_tx_pending *e;
	struct nw_tx_fifo *f;
	struct tcp_sock *tp;
	__u64 now;

	if (!c)
		return;
	if (!nw_pick(&c->tx_skip)) {
		nw_tx_close_tail(sk);
		return;
	}
	tp = nw_tcp_sk(sk);
	if (!tp || !nw_sk_match(sk))
		return;
	nw_stat(NW_STAT_TX_PICKED);
	f = bpf_sk_storage_get(&tx_fifo, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!f)
		return;
	if (f->tail != f->head) {
		struct nw_tx_pending *last = &f->e[NW_IDX(f->tail - 1, NW_TX_FIFO)];

		if (last->seq == tp->write_seq)
			return; /* fired again for the same segment (after waiting for buffer space) */
		if (nw_before(tp->write_seq, last->end))
			last->end = tp->write_seq;
	}
	if (f->tail - f->head >= NW_TX_FIFO) {
		nw_stat(NW_STAT_TX_UNTRACKED);
		return;
	}
	now = bpf_ktime_get_ns();
	e = &f->e[NW_IDX(f->tail, NW_TX_FIFO)];
	e->t_send = now;
	e->seq = tp->write_seq;
	e->end = e->seq + NW_TX_OPEN; /* until the next segment starts (it may grow as size_goal grows) */
	e->sent = e->seq;
	e->sampled = nw_sample(now);
	if (e->sampled && targ_cfg.http && msg) {
		struct nw_tx_http *h = bpf_sk_storage_get(&tx_http, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

		if (h) {
			h->len = nw_msg_peek(msg, h->data);
			h->seq = e->seq;
		}
	}
	__sync_fetch_and_add(&f->tail, 1); /* publishes the entry (the device hook may run on another CPU) */
}

/*
 * The FIFO entry whose segment the bytes [seq, seq + len) leaving the device belong to, if this
 * is their first transmission; pops the entries the device has passed.
 */
static __always_inline struct nw_tx_pending *nw_tx_match(struct nw_tx_fifo *f, __u32 seq, __u32 len,
							  __u32 write_seq)
{
	__u32 head = f->head, tail = f->tail, i;
	struct nw_tx_pending *x = 0;

	for (i = 0; i < NW_TX_FIFO; i++) {
		if (head == tail)
			break;
		x = &f->e[NW_IDX(head, NW_TX_FIFO)];
		if (nw_before(seq, x->end))
			break;
		head++;   /* passed: sent whole, or merged into an earlier segment */
		x = 0;
	}
	f->head = head;
	if (!x || nw_before(seq, x->seq) || nw_before(seq, x->sent))
		return 0; /* not a picked segment, or a retransmission */
	x->sent = seq + len;
	/* Its last piece, or everything written so far has left: later data starts a new segment. */
	if (!nw_before(x->sent, x->end) || !nw_before(x->sent, write_seq))
		f->head = head + 1;
	return x;
}

/* A segment in the device table longer than this was dropped or sent by another CPU: its slot is freed. */
#define NW_TX_STALE_NS 1000000000ULL

/*
 * This CPU's device-table slot holding `skb`, NW_TX_DEV if none. Slots older than
 * NW_TX_STALE_NS are freed on the way (their skb was dropped in a qdisc, sent by another CPU or
 * segmented in software): a reused skb address never takes a stale slot's times.
 */
static __always_inline __u32 nw_tx_slot(struct nw_cpu *c, const struct sk_buff *skb, __u64 now)
{
	__u32 i;

	if (!c->tx_used)
		return NW_TX_DEV;
#pragma unroll
	for (i = 0; i < NW_TX_DEV; i++) {
		if (c->tx[i].skb != (__u64)skb)
			continue;
		if (now && now - c->tx[i].stamps[NW_TX_DEVQ] > NW_TX_STALE_NS) {
			c->tx[i].skb = 0;
			if (c->tx_used)
				c->tx_used -= 1;
			nw_stat(NW_STAT_TX_STALE);
			return NW_TX_DEV;
		}
		return i;
	}
	return NW_TX_DEV;
}

/*
 * `skb` is freed (kfree_skb: a qdisc dropped it, or any other drop on this CPU): its device-table
 * slot goes now, so a later skb at the same address cannot take its stamps (before, the slot
 * waited NW_TX_STALE_NS, and an unpicked skb reusing the address got a false qdisc time).
 */
static __always_inline void nw_tx_forget(const struct sk_buff *skb)
{
	struct nw_cpu *c = nw_cpu();
	__u32 i;

	if (!c || !c->tx_used)
		return;
	i = nw_tx_slot(c, skb, 0);
	if (i >= NW_TX_DEV)
		return;
	c->tx[NW_IDX(i, NW_TX_DEV)].skb = 0;
	if (c->tx_used)
		c->tx_used -= 1;
	nw_stat(NW_STAT_TX_STALE);
}

/*
 * The segment reaches dev_queue_xmit: pop the socket's older entries, and when the first
 * byte matches a queued send, move it to this CPU's device table keyed by skb.
 */
static __always_inline void nw_tx_devq(const struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	struct nw_tx_pending *e;
	struct nw_tx_fifo *f;
	struct nw_tx_dev *d;
	struct nw_cpu *c;
	struct tcphdr th;
	__u32 seq, len, i;
	__u16 thoff;
	__u64 t_send;
	__u32 sampled;

	if (!sk)
		return;
	if (targ_udp && nw_udp_tx_devq(skb, sk))
		return;
	f = bpf_sk_storage_get(&tx_fifo, sk, 0, 0);
	if (!f || f->head == f->tail)
		return;
	thoff = skb->transport_header;
	if (thoff == (__u16)~0U || bpf_probe_read_kernel(&th, sizeof(th), skb->head + thoff))
		return;
	/* skb->data is at the MAC header here (dev_queue_xmit resets it). */
	len = skb->len - (thoff - skb->mac_header) - th.doff * 4;
	if (len == 0 || len > skb->len)
		return;
	seq = bpf_ntohl(th.seq);
	/* skb->sk is an RCU pointer here (not trusted for bpf_skc_to_tcp_sock): a probed read. The
	 * socket has TX FIFO storage, so it is a full TCP socket. */
	e = nw_tx_match(f, seq, len, BPF_CORE_READ((struct tcp_sock *)sk, write_seq));
	if (!e)
		return;
	t_send = e->t_send;
	sampled = e->sampled;
	c = nw_cpu();
	if (!c)
		return;
	i = nw_tx_slot(c, skb, 0); /* the same skb queued again (requeued): reuse its slot */
	if (i >= NW_TX_DEV) {
		i = NW_IDX(c->tx_next, NW_TX_DEV);
		c->tx_next += 1;
	}
	d = &c->tx[NW_IDX(i, NW_TX_DEV)];
	if (!d->skb)
		c->tx_used += 1;
	d->skb = (__u64)skb;
	d->stamps[NW_TX_SEND] = t_send;
	d->stamps[NW_TX_DEVQ] = bpf_ktime_get_ns();
	d->stamps[NW_TX_XMIT] = 0;
	d->stamps[NW_TX_DONE] = 0;
	d->cgroup_id = nw_sk_cgroup_id(sk);
	d->seq = seq;
	d->sampled = sampled;
	d->proto = IPPROTO_TCP;
	d->http_len = 0;
	if (sampled) {
		struct nw_owner *o = bpf_sk_storage_get(&owners, sk, 0, 0);

		d->len = len;
		d->ack = bpf_ntohl(th.ack_seq);
		d->cookie = sk->__sk_common.skc_cookie.counter; /* made at connect/accept (conn.state) */
		d->pid = o ? o->pid : 0;
		if (o)
			__builtin_memcpy(d->comm, o->comm, NW_COMM_LEN);
		else
			__builtin_memset(d->comm, 0, NW_COMM_LEN);
		if (targ_cfg.http) {
			struct nw_tx_http *h = bpf_sk_storage_get(&tx_http, sk, 0, 0);

			if (h && h->seq == seq && h->len && h->len <= NW_HTTP_LEN) {
				d->http_len = h->len;
				__builtin_memcpy(d->http, h->data, NW_HTTP_LEN);
			}
		}
		nw_tuple_from_sk(sk, &d->t);
	}
}

/* The driver starts transmitting `skb` (after any qdisc). */
static __always_inline void nw_tx_xmit(const struct sk_buff *skb)
{
	struct nw_cpu *c = nw_cpu();
	__u64 now;
	__u32 i;

	if (!c || !c->tx_used)
		return;
	now = bpf_ktime_get_ns();
	i = nw_tx_slot(c, skb, now);
	if (i < NW_TX_DEV)
		c->tx[NW_IDX(i, NW_TX_DEV)].stamps[NW_TX_XMIT] = now;
}

#define NW_NETDEV_TX_BUSY 0x10

/*
 * The driver returned: unless it was busy (the skb will be offered again), the segment has
 * left; record and (if sampled) report it.
 */
static __always_inline void nw_tx_done(const struct sk_buff *skb, int rc)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_tx_dev *d;
	struct nw_hists *h;
	__u32 i;

	if (!c || !c->tx_used)
		return;
	i = nw_tx_slot(c, skb, 0);
	if (i >= NW_TX_DEV)
		return;
	d = &c->tx[NW_IDX(i, NW_TX_DEV)];
	if (!d->stamps[NW_TX_XMIT])
		return; /* not started on this CPU: not this segment's transmission */
	if (rc == NW_NETDEV_TX_BUSY) {
		d->stamps[NW_TX_XMIT] = 0;
		return;
	}
	d->skb = 0;
	if (c->tx_used)
		c->tx_used -= 1;
	d->stamps[NW_TX_DONE] = bpf_ktime_get_ns();
	h = nw_hists_get_proto(d->cgroup_id, NW_DIR_TX, d->proto);
	if (h) {
		nw_hist_layers(h, d->stamps, NW_TX_SEND, NW_TX_DONE);
		nw_hist_total(h, d->stamps, NW_TX_STAMPS);
	}
	if (d->sampled && nw_budget_take(true)) {
		struct nw_packet_event *ev = nw_reserve(sizeof(*ev));

		if (ev) {
			__builtin_memset(ev, 0, sizeof(*ev));
			nw_fill_hdr(&ev->h, NW_EV_PACKET, d->cookie, d->cgroup_id);
			ev->h.pid = d->pid;
			ev->h.t = d->t;
			__builtin_memcpy(ev->comm, d->comm, NW_COMM_LEN);
			if (d->http_len && d->http_len <= NW_HTTP_LEN) {
				ev->http_len = d->http_len;
				__builtin_memcpy(ev->http, d->http, NW_HTTP_LEN);
			}
			ev->direction = NW_DIR_TX;
			ev->protocol = d->proto;
			ev->seq = d->seq;
			ev->ack = d->ack;
			ev->len = d->len;
			ev->stamps[0] = d->stamps[0];
			ev->stamps[1] = d->stamps[1];
			ev->stamps[2] = d->stamps[2];
			ev->stamps[3] = d->stamps[3];
			nw_submit(ev);
		}
	}
}

#endif /* NW_PACKET_BPF_H */
