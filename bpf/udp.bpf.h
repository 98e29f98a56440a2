/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * UDP datagrams per pod: datagrams and payload bytes per cgroup, direction and IP version (the
 * counters map, NW_CNT_UDP_DATAGRAMS / NW_CNT_UDP_BYTES, always on), and the layer times of the
 * datagrams picked for timing (the hists map with protocol IPPROTO_UDP, and sampled packet events).
 *
 * No program of its own: each handler runs inside a program TCP already has on that hook, behind
 * a protocol check at its first instructions (TCP packets pay that check, nothing else), and
 * targ_udp = false (--no-udp) removes the handlers at load.
 *
 * Received (IPv4 and IPv6):
 *  - counted when the application reads a datagram (sock:sock_recv_length on a UDP socket: every
 *    recvmsg that returned >= 0, MSG_PEEK excepted; bytes = what it returned), as the kernel's
 *    UdpInDatagrams counts them. Datagrams dropped before (no socket, a full receive buffer, bad
 *    checksums) are drops (errors.bpf.h), with their reason.
 *  - timed like TCP segments (picked at the driver boundary, packet.bpf.h; IPv4 fragments are not:
 *    their datagram is reassembled in another skb): driver -> stack -> transport (cgroup_skb
 *    ingress, after the socket lookup, right before the enqueue), where it is parked in the
 *    socket's FIFO (socket storage) with the number of the read that will take it (datagrams are
 *    read in queue order: reads + unread ones + 1), -> queued (sk_data_ready, when it is the
 *    queue's tail; v6.11+ wakes the reader only when the queue was empty, so a datagram queued
 *    behind others counts as queued at its transport entry) -> read (its read number comes up).
 *    A read the tracepoint does not see (a datagram discarded by recvmsg for a bad checksum)
 *    shifts the datagrams queued before it by one; entries whose turn has passed are dropped at
 *    the next read.
 * Sent:
 *  - counted when a datagram of a local UDP socket reaches the device layer (net:net_dev_queue, in
 *    the sender's context): a UDP_SEGMENT (GSO) skb counts its segments, an IP-fragmented datagram
 *    once (its first fragment, bytes from the UDP header); the IP version is the packet's.
 *  - picked there (1 in control.time_every) and timed device queue -> driver start -> driver done
 *    (qdisc, driver) in the device table TCP uses. The send -> device layer needs a hook at
 *    udp_sendmsg's entry, which the tracepoints do not have: its stamp stays 0.
 */
#ifndef NW_UDP_BPF_H
#define NW_UDP_BPF_H

#include "packet.bpf.h"

#define NW_MSG_PEEK 2
#define NW_UDP_FIFO 16
#define NW_IPPROTO_FRAGMENT 44

/* A timed datagram in its socket's receive queue, not read yet. */
struct nw_udp_pending {
	__u64 skb;                        /* the datagram's skb until it is queued */
	__u64 stamps[NW_RX_QUEUED + 1];   /* driver, stack, transport, queued */
	struct nw_tuple t;                /* the datagram's, sender first */
	__u32 read;                       /* the socket's read number that reads it */
	__u32 len;                        /* payload bytes */
	__u32 sampled;
	__u32 pad;
};

struct nw_udp_rx {
	__u32 reads;   /* datagrams read since the storage was made (MSG_PEEK excepted) */
	__u32 head;    /* next entry to finish (free-running) */
	__u32 tail;    /* next entry to fill (free-running) */
	__u32 pad;
	struct nw_udp_pending e[NW_UDP_FIFO];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_udp_rx);
} udp_rx SEC(".maps");

static __always_inline void nw_udp_count(__u64 cgroup_id, __u8 dir, __u8 ip_version, __u64 datagrams, __u64 bytes)
{
	__u32 detail = ((__u32)dir << 8) | ip_version;

	nw_count_n(cgroup_id, NW_CNT_UDP_DATAGRAMS, detail, datagrams);
	nw_count_n(cgroup_id, NW_CNT_UDP_BYTES, detail, bytes);
}

/*
 * The IP version of a socket's datagrams: an IPv6 socket connected to an IPv4-mapped peer carries
 * IPv4 (a dual-stack server's connected socket); an unconnected one is taken as IPv6.
 */
static __always_inline __u8 nw_udp_sk_ip_version(const struct sock *sk)
{
	const struct sock_common *c = &sk->__sk_common;

	if (c->skc_family == AF_INET)
		return 4;
	if (c->skc_v6_daddr.in6_u.u6_addr32[0] == 0 && c->skc_v6_daddr.in6_u.u6_addr32[1] == 0 &&
	    c->skc_v6_daddr.in6_u.u6_addr32[2] == bpf_htonl(0xffff))
		return 4;
	return 6;
}

/* --- RX ------------------------------------------------------------------ */

/*
 * cgroup_skb ingress of the current (picked) datagram, stamped at transport: its socket is known,
 * and the datagram is about to be queued (sk_filter runs right before the enqueue). It is parked
 * now in the socket's FIFO with the number of the read that will take it: datagrams are read in
 * queue order and it goes behind the `unread` ones, and reads + unread does not change when a
 * reader takes one meanwhile. It stays this CPU's current packet for sk_data_ready to stamp it
 * queued; v6.11+ wakes the reader only when the queue was empty, so a datagram queued behind
 * others has no such stamp and counts as queued at its transport entry (read time). One that
 * will not fit (receive memory over the buffer) is dropped by the enqueue: not timed.
 */
static __always_inline void nw_udp_rx_transport(struct __sk_buff *ctx, struct bpf_sock *sk, struct nw_rx_cur *r)
{
	struct nw_udp_pending *e;
	struct nw_udp_rx *f;
	struct sk_buff *kskb;
	struct sock *ksk;
	__u32 unread;

	if (sk->protocol != IPPROTO_UDP || !bpf_cast_to_kern_ctx)
		goto untimed;
	kskb = bpf_cast_to_kern_ctx(ctx);
	ksk = kskb->sk; /* the receiving socket, set for the cgroup program's run */
	if (!ksk)
		goto untimed;
	if (BPF_CORE_READ(ksk, sk_backlog.rmem_alloc.counter) > BPF_CORE_READ(ksk, sk_rcvbuf))
		goto untimed;
	f = bpf_sk_storage_get(&udp_rx, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!f)
		goto untimed;
	if (f->tail - f->head >= NW_UDP_FIFO) {
		struct nw_hists *h = nw_hists_get_proto(bpf_skb_cgroup_id(ctx), NW_DIR_RX, IPPROTO_UDP);

		if (h)
			nw_hist_layers(h, r->stamps, NW_RX_DRIVER, NW_RX_TRANSPORT);
		nw_stat(NW_STAT_RX_UNTRACKED);
		goto untimed;
	}
	/* Unread datagrams: the socket's queue and the one udp_recvmsg reads from. */
	unread = BPF_CORE_READ(ksk, sk_receive_queue.qlen) + BPF_CORE_READ((struct udp_sock *)ksk, reader_queue.qlen);
	e = &f->e[NW_IDX(f->tail, NW_UDP_FIFO)];
	e->skb = r->skb;
	e->stamps[NW_RX_DRIVER] = r->stamps[NW_RX_DRIVER];
	e->stamps[NW_RX_STACK] = r->stamps[NW_RX_STACK];
	e->stamps[NW_RX_TRANSPORT] = r->stamps[NW_RX_TRANSPORT];
	e->stamps[NW_RX_QUEUED] = 0;
	e->t = r->t;
	e->read = f->reads + unread + 1;
	e->len = r->len;
	e->sampled = r->sampled;
	__sync_fetch_and_add(&f->tail, 1); /* publishes the entry (the reader may run on another CPU) */
	return;
untimed:
	r->skb = 0;
}

/* sk_data_ready of a UDP socket: the current timed datagram, parked at transport, is queued now. */
static __always_inline void nw_udp_queued(const struct sock *sk)
{
	struct nw_cpu *c = nw_cpu();
	struct nw_udp_pending *e;
	struct nw_udp_rx *f;
	__u64 skb;

	if (!c || !c->cur.skb || c->cur.proto != IPPROTO_UDP || !c->cur.stamps[NW_RX_TRANSPORT])
		return;
	skb = c->cur.skb;
	/* The receive queue's tail, or the reader queue's when a reader on another CPU moved the
	 * queue there (udp_recvmsg splices it) between the enqueue and this wake-up. */
	if ((__u64)sk->sk_receive_queue.prev != skb &&
	    (__u64)BPF_CORE_READ((struct udp_sock *)sk, reader_queue.prev) != skb)
		return; /* another socket's wake-up, or a reader took the datagram already */
	c->cur.skb = 0;
	f = bpf_sk_storage_get(&udp_rx, (struct sock *)sk, 0, 0);
	if (!f || f->tail == f->head)
		return;
	e = &f->e[NW_IDX(f->tail - 1, NW_UDP_FIFO)];
	if (e->skb == skb && !e->stamps[NW_RX_QUEUED])
		e->stamps[NW_RX_QUEUED] = bpf_ktime_get_ns();
}

/* A UDP socket's recvmsg returned `ret` (sock_recv_length): count it, finish its timed datagram. */
static __always_inline void nw_udp_read(struct sock *sk, int ret, int flags)
{
	struct nw_udp_pending *e;
	struct nw_udp_rx *f;
	struct nw_hists *h;
	__u32 head, tail, reads, i;
	__u64 cg, s[NW_RX_STAMPS];

	if (ret < 0 || (flags & NW_MSG_PEEK))
		return;
	cg = nw_sk_cgroup_id(sk);
	nw_udp_count(cg, NW_DIR_RX, nw_udp_sk_ip_version(sk), 1, ret);
	f = bpf_sk_storage_get(&udp_rx, sk, 0, 0);
	if (!f)
		return;
	reads = f->reads + 1;
	f->reads = reads;
	head = f->head;
	tail = f->tail;
	for (i = 0; i < NW_UDP_FIFO; i++) {
		if (head == tail)
			break;
		e = &f->e[NW_IDX(head, NW_UDP_FIFO)];
		if (!nw_before(e->read, reads))
			break;
		head++; /* its read was not seen: not timed */
	}
	f->head = head;
	if (head == tail)
		return;
	e = &f->e[NW_IDX(head, NW_UDP_FIFO)];
	if (e->read != reads)
		return;
	f->head = head + 1;
	s[0] = e->stamps[0];
	s[1] = e->stamps[1];
	s[2] = e->stamps[2];
	s[3] = e->stamps[3] ? e->stamps[3] : e->stamps[2]; /* no wake-up: queued at its transport entry */
	s[4] = bpf_ktime_get_ns();
	h = nw_hists_get_proto(cg, NW_DIR_RX, IPPROTO_UDP);
	if (h) {
		nw_hist_layers(h, s, NW_RX_DRIVER, NW_RX_READ);
		nw_hist_total(h, s, NW_RX_STAMPS);
	}
	if (e->sampled && nw_uid_match((__u32)bpf_get_current_uid_gid()) && nw_budget_take(true)) {
		struct nw_packet_event *ev = nw_reserve(sizeof(*ev));

		if (ev) {
			__builtin_memset(ev, 0, sizeof(*ev));
			nw_fill_hdr(&ev->h, NW_EV_PACKET, bpf_get_socket_cookie(sk), cg);
			nw_tuple_reverse(&e->t, &ev->h.t);
			ev->direction = NW_DIR_RX;
			ev->protocol = IPPROTO_UDP;
			ev->h.pid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(ev->comm, sizeof(ev->comm));
			ev->len = e->len;
			__builtin_memcpy(ev->stamps, s, sizeof(s));
			nw_submit(ev);
		}
	}
}

/* --- TX ------------------------------------------------------------------ */

/* A datagram leaving: its tuple (local first), payload bytes and segments. */
struct nw_udp_out {
	struct nw_tuple t;
	__u32 bytes;
	__u32 segs;
};

/*
 * Parse the IP and UDP headers of an skb at the device layer (skb->data at the MAC header).
 * False for a packet that carries no UDP header (a later IP fragment, another protocol).
 */
static __always_inline bool nw_udp_out_parse(const struct sk_buff *skb, struct nw_udp_out *o)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header, mac = skb->mac_header;
	struct udphdr uh;
	__u8 b[40];
	__u32 l4;
	bool fragmented = false;

	if (nh == (__u16)~0U || bpf_probe_read_kernel(b, sizeof(b), head + nh))
		return false;
	if ((b[0] >> 4) == 4) {
		__u16 frag = ((__u16)b[6] << 8 | b[7]) & 0x3fff; /* MF and the offset */

		if (b[9] != IPPROTO_UDP || (frag & 0x1fff))
			return false;
		fragmented = frag != 0;
		l4 = (b[0] & 0xf) * 4;
		nw_tuple_v4(&o->t, *(__u32 *)&b[12], *(__u32 *)&b[16]);
	} else if ((b[0] >> 4) == 6) {
		l4 = 40;
		if (b[6] == NW_IPPROTO_FRAGMENT) {
			__u8 fh[4];

			if (bpf_probe_read_kernel(fh, sizeof(fh), head + nh + 40))
				return false;
			if (fh[0] != IPPROTO_UDP || (((__u16)fh[2] << 8 | fh[3]) & 0xfff8))
				return false;
			fragmented = true;
			l4 = 48;
		} else if (b[6] != IPPROTO_UDP) {
			return false;
		}
		o->t.family = AF_INET6;
		__builtin_memcpy(o->t.saddr, &b[8], 16);
		__builtin_memcpy(o->t.daddr, &b[24], 16);
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&uh, sizeof(uh), head + nh + l4))
		return false;
	o->t.sport = bpf_ntohs(uh.source);
	o->t.dport = bpf_ntohs(uh.dest);
	o->segs = 1;
	if (!fragmented) {
		struct skb_shared_info *si = (struct skb_shared_info *)(head + skb->end);

		if (BPF_CORE_READ(si, gso_size)) {
			__u32 hdrs = nh + l4 + sizeof(uh) - mac;

			o->segs = BPF_CORE_READ(si, gso_segs);
			o->bytes = skb->len > hdrs ? skb->len - hdrs : 0; /* one UDP header for all segments */
			if (!o->segs)
				o->segs = 1;
			return true;
		}
	}
	o->bytes = bpf_ntohs(uh.len) > sizeof(uh) ? bpf_ntohs(uh.len) - sizeof(uh) : 0;
	return true;
}

/*
 * net_dev_queue of an skb with a socket: true when it is a UDP socket's (counted, and timed when
 * picked), false for any other socket (the caller goes on with TCP). Request and TIME_WAIT mini
 * sockets have no sk_protocol: they leave at their state.
 */
static __always_inline bool nw_udp_tx_devq(const struct sk_buff *skb, struct sock *sk)
{
	__u8 state = sk->__sk_common.skc_state;
	struct nw_udp_out o = {};
	struct nw_tx_dev *d;
	struct nw_cpu *c;
	__u64 cg, now;
	__u32 i;

	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || !nw_sk_is_udp(sk))
		return false;
	if (!nw_udp_out_parse(skb, &o))
		return true;
	cg = nw_sk_cgroup_id(sk);
	nw_udp_count(cg, NW_DIR_TX, o.t.family == AF_INET6 ? 6 : 4, o.segs, o.bytes);
	c = nw_cpu();
	if (!c || !nw_pick(&c->tx_skip))
		return true;
	if (!nw_ports_match(o.t.sport, o.t.dport) || !nw_uid_match((__u32)bpf_get_current_uid_gid()))
		return true;
	nw_stat(NW_STAT_TX_PICKED);
	now = bpf_ktime_get_ns();
	i = nw_tx_slot(c, skb, 0); /* the same skb queued again (requeued): reuse its slot */
	if (i >= NW_TX_DEV) {
		i = NW_IDX(c->tx_next, NW_TX_DEV);
		c->tx_next += 1;
	}
	d = &c->tx[NW_IDX(i, NW_TX_DEV)];
	if (!d->skb)
		c->tx_used += 1;
	d->skb = (__u64)skb;
	d->stamps[NW_TX_SEND] = 0; /* no hook at udp_sendmsg's entry */
	d->stamps[NW_TX_DEVQ] = now;
	d->stamps[NW_TX_XMIT] = 0;
	d->stamps[NW_TX_DONE] = 0;
	d->cgroup_id = cg;
	d->seq = 0;
	d->ack = 0;
	d->proto = IPPROTO_UDP;
	d->http_len = 0;
	d->sampled = nw_sample(now);
	if (d->sampled) {
		/* The sender's context (UDP sends reach the device synchronously). */
		d->len = o.bytes;
		d->cookie = sk->__sk_common.skc_cookie.counter;
		d->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(d->comm, sizeof(d->comm));
		d->t = o.t;
	}
	return true;
}

#endif /* NW_UDP_BPF_H */
