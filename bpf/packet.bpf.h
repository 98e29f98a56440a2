/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-layer packet latency. RX: driver -> stack -> transport -> queued -> read.
 * TX: send -> device queue -> driver start -> driver done.
 *
 * Only TCP segments with payload are timed. An RX packet is keyed by its skb until
 * TCP has processed it, then it waits in a per-socket FIFO (socket local storage)
 * until the application has read past its last byte. A TX segment is keyed by
 * (socket, first sequence number) from send until the device layer, then by skb.
 */
#ifndef NW_PACKET_BPF_H
#define NW_PACKET_BPF_H

#include "core.bpf.h"

#define NW_TCP_SKB_CB(skb) ((const struct tcp_skb_cb *)&((skb)->cb[0]))

/* Histograms for every layer whose two boundaries are both present in s[from..to]. */
static __always_inline void nw_hist_layers(__u64 cg, __u8 dir, const __u64 *s, int from, int to)
{
	int i;

#pragma unroll
	for (i = 0; i < NW_MAX_STAMPS - 1; i++) {
		if (i < from || i >= to)
			continue;
		if (s[i] && s[i + 1] && s[i + 1] >= s[i])
			nw_hist_add(cg, dir, i, s[i + 1] - s[i]);
	}
}

static __always_inline void nw_hist_total(__u64 cg, __u8 dir, const __u64 *s, int n)
{
	__u64 first = 0, last = 0;
	int i;

#pragma unroll
	for (i = 0; i < NW_MAX_STAMPS; i++) {
		if (i >= n)
			break;
		if (!first)
			first = s[i];
		if (s[i])
			last = s[i];
	}
	if (first && last > first)
		nw_hist_add(cg, dir, NW_LAYER_TOTAL, last - first);
}

/* --- RX ------------------------------------------------------------------ */

/*
 * First sight of a received packet (driver or stack boundary). `nh` is the network
 * header: skb->data once the driver has pulled the Ethernet header.
 */
static __always_inline void nw_rx_begin(const struct sk_buff *skb, __u32 stamp)
{
	struct nw_inflight_key k = { .id = (__u64)skb, .kind = NW_KEY_RX_SKB };
	struct nw_inflight *v;
	struct nw_pkt p = {};
	__u64 now = bpf_ktime_get_ns();

	if (stamp >= NW_MAX_STAMPS)
		return;
	if (stamp != NW_RX_DRIVER) {
		v = bpf_map_lookup_elem(&inflight, &k);
		/* A set stamp means a stale entry from an earlier packet in the same skb. */
		if (v && !v->stamps[stamp]) {
			v->stamps[stamp] = now;
			return;
		}
	}
	if (nw_parse_l3(BPF_CORE_READ(skb, data), BPF_CORE_READ(skb, protocol), &p) != 0)
		return;
	if (p.proto != IPPROTO_TCP || p.payload == 0)
		return;
	if (!nw_ports_match(p.t.dport, p.t.sport))
		return;

	struct nw_inflight n = {};

	n.stamps[stamp] = now;
	n.seq = p.seq;
	n.ack = p.ack;
	n.len = p.payload;
	n.sampled = nw_sample();
	if (bpf_map_update_elem(&inflight, &k, &n, BPF_ANY))
		nw_stat(NW_STAT_INFLIGHT_FULL);
}

static __always_inline struct nw_inflight *nw_rx_stamp(__u64 skb, __u32 stamp)
{
	struct nw_inflight_key k = { .id = skb, .kind = NW_KEY_RX_SKB };
	struct nw_inflight *v;

	if (stamp >= NW_MAX_STAMPS)
		return 0;
	v = bpf_map_lookup_elem(&inflight, &k);
	if (!v || v->stamps[stamp])
		return 0;
	v->stamps[stamp] = bpf_ktime_get_ns();
	return v;
}

static __always_inline void nw_fill_packet(struct nw_packet_event *e, const struct sock *sk, __u64 cookie,
					   __u64 cg, __u8 dir)
{
	__builtin_memset(e, 0, sizeof(*e));
	nw_fill_hdr(&e->h, NW_EV_PACKET, cookie, cg);
	nw_tuple_from_sk(sk, &e->h.t);
	e->direction = dir;
}

/*
 * --http: keep the start of a sampled received segment if it looks like HTTP/1. Read at the
 * cgroup_skb ingress hook, where bpf_skb_load_bytes also reaches paged data (offset 0 is the
 * IP header there).
 */
static __always_inline void nw_rx_http_from_ctx(struct __sk_buff *ctx, struct nw_inflight *v)
{
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
	if (bpf_skb_load_bytes(ctx, off, v->http, len) || !nw_is_http(v->http))
		return;
	v->http_len = len;
}

/* Move a captured HTTP line to the socket, for the event emitted when it is read. */
static __always_inline void nw_rx_http_keep(struct sock *sk, const struct nw_inflight *v, __u32 end_seq)
{
	struct nw_rx_http *h = bpf_sk_storage_get(&rx_http, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (!h)
		return;
	h->end_seq = end_seq;
	h->len = v->http_len;
	__builtin_memcpy(h->data, v->http, NW_HTTP_LEN);
}

/* TCP processed the segment: time link and ip, park it in the socket's FIFO. */
static __always_inline void nw_rx_tcp(struct sock *sk, const struct sk_buff *skb, __u64 cookie)
{
	struct nw_inflight_key k = { .id = (__u64)skb, .kind = NW_KEY_RX_SKB };
	struct nw_inflight *v;
	struct nw_rx_fifo *f;
	struct nw_rx_pending *e;
	__u64 cg;
	__u32 idx;

	v = bpf_map_lookup_elem(&inflight, &k);
	if (!v)
		return;
	cg = nw_sk_cgroup_id(sk);
	nw_hist_layers(cg, NW_DIR_RX, v->stamps, NW_RX_DRIVER, NW_RX_TRANSPORT);

	f = bpf_sk_storage_get(&rx_fifo, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!f || f->tail - f->head >= NW_RX_FIFO) {
		nw_stat(NW_STAT_RX_UNTRACKED);
		bpf_map_delete_elem(&inflight, &k);
		return;
	}
	/* Single producer (under the socket lock); the reader only advances head. */
	idx = f->tail & (NW_RX_FIFO - 1);
	e = &f->e[idx];
	e->stamps[NW_RX_DRIVER] = v->stamps[NW_RX_DRIVER];
	e->stamps[NW_RX_STACK] = v->stamps[NW_RX_STACK];
	e->stamps[NW_RX_TRANSPORT] = v->stamps[NW_RX_TRANSPORT];
	e->stamps[NW_RX_QUEUED] = 0;
	e->seq = v->seq;
	e->end_seq = BPF_CORE_READ(NW_TCP_SKB_CB(skb), end_seq);
	e->ack = v->ack;
	e->len = v->len;
	e->sampled = v->sampled;
	f->tail += 1;
	if (targ_cfg.http && v->http_len)
		nw_rx_http_keep(sk, v, e->end_seq);
	bpf_map_delete_elem(&inflight, &k);
}

/* Data is readable: every parked segment now below rcv_nxt is in the receive queue. */
static __always_inline void nw_rx_queued(const struct sock *sk, struct nw_rx_fifo *f)
{
	__u32 rcv_nxt = BPF_CORE_READ((const struct tcp_sock *)sk, rcv_nxt);
	__u64 now = bpf_ktime_get_ns(), cg = 0;
	__u32 head = f->head, tail = f->tail, i;

#pragma unroll
	for (i = 0; i < NW_RX_FIFO; i++) {
		struct nw_rx_pending *e;

		if (head + i == tail)
			break;
		e = &f->e[(head + i) & (NW_RX_FIFO - 1)];
		if (e->stamps[NW_RX_QUEUED] || nw_before(rcv_nxt, e->end_seq))
			continue;
		e->stamps[NW_RX_QUEUED] = now;
		if (e->stamps[NW_RX_TRANSPORT]) {
			if (!cg)
				cg = nw_sk_cgroup_id(sk);
			nw_hist_add(cg, NW_DIR_RX, NW_LAYER_RX_TCP, now - e->stamps[NW_RX_TRANSPORT]);
		}
	}
}

/* The application read: finish every segment whose last byte has been copied. */
static __always_inline void nw_rx_read(const struct sock *sk, struct nw_rx_fifo *f, __u64 cookie)
{
	__u32 copied = BPF_CORE_READ((const struct tcp_sock *)sk, copied_seq);
	__u64 now = bpf_ktime_get_ns();
	__u64 cg = nw_sk_cgroup_id(sk);
	__u32 head = f->head, tail = f->tail, i;

#pragma unroll
	for (i = 0; i < NW_RX_FIFO; i++) {
		struct nw_rx_pending *e;
		__u64 s[NW_RX_STAMPS];

		if (head == tail)
			break;
		e = &f->e[head & (NW_RX_FIFO - 1)];
		if (nw_before(copied, e->end_seq))
			break;
		s[0] = e->stamps[0];
		s[1] = e->stamps[1];
		s[2] = e->stamps[2];
		s[3] = e->stamps[3];
		s[4] = now;
		if (s[3])
			nw_hist_add(cg, NW_DIR_RX, NW_LAYER_RX_SOCKET, now - s[3]);
		nw_hist_total(cg, NW_DIR_RX, s, NW_RX_STAMPS);
		if (e->sampled && nw_budget_take(true)) {
			struct nw_packet_event *ev = nw_reserve(sizeof(*ev));

			if (ev) {
				nw_fill_packet(ev, sk, cookie, cg, NW_DIR_RX);
				ev->h.pid = bpf_get_current_pid_tgid() >> 32;
				bpf_get_current_comm(ev->comm, sizeof(ev->comm));
				ev->seq = e->seq;
				ev->ack = e->ack;
				ev->len = e->len;
				__builtin_memcpy(ev->stamps, s, sizeof(s));
				if (targ_cfg.http) {
					struct nw_rx_http *h = bpf_sk_storage_get(&rx_http, (struct sock *)sk, 0, 0);

					if (h && h->end_seq == e->end_seq && h->len <= NW_HTTP_LEN) {
						ev->http_len = h->len;
						__builtin_memcpy(ev->http, h->data, NW_HTTP_LEN);
					}
				}
				bpf_ringbuf_submit(ev, 0);
			}
		}
		head++;
	}
	f->head = head;
}

/* --- TX ------------------------------------------------------------------ */

/*
 * Peek at the application's next bytes in a sendmsg (for --http): user memory behind the
 * msghdr's iov_iter (ITER_UBUF or ITER_IOVEC; kernels with iov_iter.ubuf, v6.4+).
 */
static __always_inline __u32 nw_msg_peek(const struct msghdr *msg, __u8 *buf)
{
	const struct iov_iter *it = &msg->msg_iter;
	const __u8 *base;
	__u64 off, count;
	__u8 type;
	__u32 len;

	if (!bpf_core_field_exists(it->ubuf) || !bpf_core_field_exists(it->__iov))
		return 0;
	type = BPF_CORE_READ(it, iter_type);
	off = BPF_CORE_READ(it, iov_offset);
	count = BPF_CORE_READ(it, count);
	if (type == bpf_core_enum_value(enum iter_type, ITER_UBUF)) {
		base = BPF_CORE_READ(it, ubuf);
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		const struct iovec *iov = BPF_CORE_READ(it, __iov);

		base = BPF_CORE_READ(iov, iov_base);
	} else {
		return 0;
	}
	len = count < NW_HTTP_LEN ? count : NW_HTTP_LEN;
	if (len < 4 || len > NW_HTTP_LEN)
		return 0;
	if (bpf_probe_read_user(buf, len, base + off))
		return 0;
	return nw_is_http(buf) ? len : 0;
}

/* The application's bytes starting at `seq` enter a new segment on `sk`. */
static __always_inline void nw_tx_begin(const struct sock *sk, __u32 seq, __u64 cookie, const struct msghdr *msg)
{
	struct nw_inflight_key k = { .id = (__u64)sk, .seq = seq, .kind = NW_KEY_TX_SOCK };
	struct nw_inflight n = {};

	if (!nw_sk_match(sk))
		return;
	n.stamps[NW_TX_SEND] = bpf_ktime_get_ns();
	n.cookie = cookie;
	n.cgroup_id = nw_sk_cgroup_id(sk);
	n.seq = seq;
	n.sampled = nw_sample();
	n.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(n.comm, sizeof(n.comm));
	nw_tuple_from_sk(sk, &n.t);
	if (targ_cfg.http && msg && n.sampled)
		n.http_len = nw_msg_peek(msg, n.http);
	/* Keep the oldest: later sends that append to the same segment do not reset it. */
	if (bpf_map_update_elem(&inflight, &k, &n, BPF_NOEXIST) == -7 /* E2BIG */)
		nw_stat(NW_STAT_INFLIGHT_FULL);
}

/* Segment reaches dev_queue_xmit: find it by (socket, seq), re-key it by skb. */
static __always_inline void nw_tx_devq(const struct sk_buff *skb)
{
	struct nw_inflight_key k = { .kind = NW_KEY_TX_SOCK };
	struct nw_inflight *v;
	struct tcphdr th;
	struct sock *sk;
	unsigned char *head;
	__u16 thoff;

	sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		return;
	thoff = BPF_CORE_READ(skb, transport_header);
	if (thoff == (__u16)~0U)
		return;
	head = BPF_CORE_READ(skb, head);
	if (bpf_probe_read_kernel(&th, sizeof(th), head + thoff))
		return;
	k.id = (__u64)sk;
	k.seq = bpf_ntohl(th.seq);
	v = bpf_map_lookup_elem(&inflight, &k);
	if (!v)
		return;

	struct nw_inflight_key k2 = { .id = (__u64)skb, .kind = NW_KEY_TX_SKB };
	__u32 datalen = BPF_CORE_READ(skb, len) - (thoff - (BPF_CORE_READ(skb, data) - head)) - th.doff * 4;

	v->stamps[NW_TX_DEVQ] = bpf_ktime_get_ns();
	v->ack = bpf_ntohl(th.ack_seq);
	v->len = datalen;
	if (bpf_map_update_elem(&inflight, &k2, v, BPF_ANY))
		nw_stat(NW_STAT_INFLIGHT_FULL);
	bpf_map_delete_elem(&inflight, &k);
}

static __always_inline void nw_tx_stamp(const struct sk_buff *skb, __u32 stamp)
{
	struct nw_inflight_key k = { .id = (__u64)skb, .kind = NW_KEY_TX_SKB };
	struct nw_inflight *v;

	if (stamp >= NW_MAX_STAMPS)
		return;
	v = bpf_map_lookup_elem(&inflight, &k);
	if (v)
		v->stamps[stamp] = bpf_ktime_get_ns();
}

/* Driver returned: the segment has left; record and (if sampled) report it. */
static __always_inline void nw_tx_done(const struct sk_buff *skb)
{
	struct nw_inflight_key k = { .id = (__u64)skb, .kind = NW_KEY_TX_SKB };
	struct nw_inflight *v;

	v = bpf_map_lookup_elem(&inflight, &k);
	if (!v)
		return;
	v->stamps[NW_TX_DONE] = bpf_ktime_get_ns();
	nw_hist_layers(v->cgroup_id, NW_DIR_TX, v->stamps, NW_TX_SEND, NW_TX_DONE);
	nw_hist_total(v->cgroup_id, NW_DIR_TX, v->stamps, NW_TX_STAMPS);
	if (v->sampled && nw_budget_take(true)) {
		struct nw_packet_event *ev = nw_reserve(sizeof(*ev));

		if (ev) {
			__builtin_memset(ev, 0, sizeof(*ev));
			nw_fill_hdr(&ev->h, NW_EV_PACKET, v->cookie, v->cgroup_id);
			ev->h.pid = v->pid;
			ev->h.t = v->t;
			__builtin_memcpy(ev->comm, v->comm, NW_COMM_LEN);
			if (v->http_len && v->http_len <= NW_HTTP_LEN) {
				ev->http_len = v->http_len;
				__builtin_memcpy(ev->http, v->http, NW_HTTP_LEN);
			}
			ev->direction = NW_DIR_TX;
			ev->seq = v->seq;
			ev->ack = v->ack;
			ev->len = v->len;
			ev->stamps[0] = v->stamps[0];
			ev->stamps[1] = v->stamps[1];
			ev->stamps[2] = v->stamps[2];
			ev->stamps[3] = v->stamps[3];
			bpf_ringbuf_submit(ev, 0);
		}
	}
	bpf_map_delete_elem(&inflight, &k);
}

#endif /* NW_PACKET_BPF_H */
