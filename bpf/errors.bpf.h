/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Errors: retransmits (fast / timeout / probe / SYN / SYN-ACK), resets sent and
 * received, bad checksums, drops with the kernel's drop reason, receive queue full,
 * socket buffer limits, ICMP errors sent. Every occurrence is counted per cgroup;
 * events are capped per second.
 */
#ifndef NW_ERRORS_BPF_H
#define NW_ERRORS_BPF_H

#include "emit.bpf.h"
#include "sock.bpf.h"

/* Drop classification (struct nw_benign_drop), written by the agent before load. */
const volatile struct nw_benign_drop targ_benign[NW_BENIGN_MAX] = {};
const volatile __u32 targ_benign_n = 0;
/* Report benign drops as NW_EV_BENIGN_DROP events (they are always counted). */
const volatile bool targ_benign_events = false;
/* Bad checksum events come from the drop with reason TCP_CSUM, which knows the socket. */
const volatile bool targ_csum_at_drop = false;

static __always_inline struct nw_error_event *nw_error_begin(__u16 type, __u64 cookie, __u64 cg)
{
	struct nw_error_event *e;
	struct nw_conn *c;

	if (!nw_budget_take(false))
		return 0;
	e = nw_reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	nw_fill_hdr(&e->h, type, cookie, cg);
	if (cookie) {
		c = bpf_map_lookup_elem(&conns, &cookie);
		if (c) {
			e->h.pid = c->pid;
			__builtin_memcpy(e->comm, c->comm, NW_COMM_LEN);
		}
	}
	return e;
}

/* The owning process of a socket that is not a tracked connection (a listener, say). */
static __always_inline void nw_error_owner(struct nw_error_event *e, const struct sock *sk)
{
	struct nw_owner *o;

	if (e->h.pid || !sk)
		return;
	o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, 0);
	if (o && o->pid) {
		e->h.pid = o->pid;
		__builtin_memcpy(e->comm, o->comm, NW_COMM_LEN);
	}
}

/* A full socket (not a request or TIME_WAIT mini socket)? */
static __always_inline bool nw_sk_fullsock(const struct sock *sk)
{
	__u8 st = BPF_CORE_READ(sk, __sk_common.skc_state);

	return st != TCP_TIME_WAIT && st != TCP_NEW_SYN_RECV;
}

static __always_inline __u64 nw_cg_of(const struct sock *sk, __u64 cookie)
{
	struct nw_conn *c;

	if (cookie) {
		c = bpf_map_lookup_elem(&conns, &cookie);
		if (c && c->cgroup_id)
			return c->cgroup_id;
	}
	return nw_sk_cgroup_id(sk);
}

/*
 * A retransmitted skb: `err` is the transmit result where the kernel reports it (0
 * otherwise). Counts are in segments (GSO skbs carry several), as tcp_sock.total_retrans is.
 */
#define NW_EBUSY 16
#define NW_EAGAIN 11
#define NW_ENOMEM 12
#define NW_EHOSTUNREACH 113

/*
 * Did __tcp_retransmit_skb give up before it counted the retransmit? Since v6.10 (the `err`
 * argument of the tracepoint) it fires on every path: the segments are added to TcpRetransSegs and
 * tcp_sock.total_retrans just before the transmit, so a transmit that fails (-ENOBUFS from a full
 * queue, -EPERM from a netfilter drop) was counted, while the early exits (still in the host
 * queue, out of window, memory, no route to rebuild the header) were not. A late -ENOMEM or
 * -EHOSTUNREACH (clone or route failure at transmit) is taken as early: rare, and then undercounted.
 */
static __always_inline bool nw_retrans_not_counted(int err)
{
	return err == -NW_EBUSY || err == -NW_EAGAIN || err == -NW_ENOMEM || err == -NW_EHOSTUNREACH;
}

static __always_inline void nw_retransmit(const struct sock *sk, const struct sk_buff *skb, __u64 cookie, int err)
{
	struct nw_error_event *e;
	struct nw_conn *c;
	__u8 state, ca;
	__u32 kind, segs = 1;
	__u64 cg;

	if (nw_retrans_not_counted(err))
		return; /* given up before it was counted: the kernel does not count it either */
	if (skb) {
		segs = BPF_CORE_READ((const struct tcp_skb_cb *)&skb->cb[0], tcp_gso_segs);
		if (segs == 0)
			segs = 1;
	}

	struct tcp_sock *tp = nw_tcp_sk(sk);

	state = sk->__sk_common.skc_state;
	ca = tp ? nw_ca_state(&tp->inet_conn) : 0;
	if (state == TCP_SYN_SENT)
		kind = NW_RETRANS_SYN;
	else if (ca == TCP_CA_Loss)
		kind = NW_RETRANS_TIMEOUT;
	else if (ca == TCP_CA_Recovery)
		kind = NW_RETRANS_FAST;
	else
		kind = NW_RETRANS_PROBE;

	c = bpf_map_lookup_elem(&conns, &cookie);
	if (c) {
		if (kind == NW_RETRANS_FAST)
			__sync_fetch_and_add(&c->fast_retrans, segs);
		else if (kind == NW_RETRANS_TIMEOUT)
			__sync_fetch_and_add(&c->timeout_retrans, segs);
		else
			__sync_fetch_and_add(&c->other_retrans, segs);
	}
	cg = c && c->cgroup_id ? c->cgroup_id : nw_sk_cgroup_id(sk);
	nw_count_n(cg, NW_CNT_RETRANS, kind, segs);
	if (!nw_sk_match(sk))
		return;
	e = nw_error_begin(NW_EV_RETRANS, cookie, cg);
	if (!e)
		return;
	nw_tuple_from_sk(sk, &e->h.t);
	e->detail = kind;
	e->state = state;
	if (skb)
		e->seq = BPF_CORE_READ((const struct tcp_skb_cb *)&skb->cb[0], seq);
	e->extra = ca | (segs << 8);
	nw_submit(e);
}

/* A listener retransmitted a SYN-ACK for a request socket. */
static __always_inline void nw_retransmit_synack(const struct sock *sk, const struct request_sock *req, __u64 cookie)
{
	struct nw_error_event *e;
	struct nw_tuple t = {};
	__u64 cg = nw_sk_cgroup_id(sk);

	nw_count(cg, NW_CNT_RETRANS, NW_RETRANS_SYNACK);
	nw_tuple_from_common(&req->__req_common, &t);
	if (!nw_ports_match(t.sport, t.dport) || !nw_sk_owner_match(sk))
		return;
	e = nw_error_begin(NW_EV_RETRANS, cookie, cg);
	if (!e)
		return;
	e->h.t = t;
	e->detail = NW_RETRANS_SYNACK;
	e->state = TCP_SYN_RECV;
	nw_submit(e);
}

/*
 * A reset sent. With a socket, the tuple is the socket's; without one (a segment to
 * a port nobody listens on), it is the offending segment's, reversed.
 */
static __always_inline void nw_reset_sent(const struct sock *sk, const struct sk_buff *skb, __u64 cookie,
					  __u32 reason)
{
	struct nw_error_event *e;
	struct nw_tuple t = {};
	struct nw_pkt p = {};
	__u64 cg = 0;
	__u32 state = 0;

	if (sk) {
		nw_tuple_from_common(&sk->__sk_common, &t);
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (nw_sk_fullsock(sk)) {
			struct nw_conn *c;

			cg = nw_cg_of(sk, cookie);
			c = bpf_map_lookup_elem(&conns, &cookie);
			if (c)
				__sync_fetch_and_add(&c->resets, 1);
		}
	} else if (skb) {
		if (nw_parse_skb_nh(skb, &p) != 0)
			return;
		nw_tuple_reverse(&p.t, &t);
	} else {
		return;
	}
	nw_count(cg, NW_CNT_RESET, NW_RESET_SENT);
	if (!nw_ports_match(t.sport, t.dport) || !nw_sk_owner_match(sk))
		return;
	e = nw_error_begin(NW_EV_RESET, cookie, cg);
	if (!e)
		return;
	if (sk && nw_sk_fullsock(sk))
		nw_error_owner(e, sk);
	e->h.t = t;
	e->detail = NW_RESET_SENT;
	e->state = state;
	e->seq = p.ack;
	e->extra = reason;
	nw_submit(e);
}

static __always_inline void nw_reset_received(const struct sock *sk, __u64 cookie)
{
	struct nw_error_event *e;
	struct nw_conn *c;
	__u64 cg;

	c = bpf_map_lookup_elem(&conns, &cookie);
	if (c)
		__sync_fetch_and_add(&c->resets, 1);
	cg = nw_cg_of(sk, cookie);
	nw_count(cg, NW_CNT_RESET, NW_RESET_RECEIVED);
	if (!nw_sk_match(sk))
		return;
	e = nw_error_begin(NW_EV_RESET, cookie, cg);
	if (!e)
		return;
	nw_tuple_from_sk(sk, &e->h.t);
	e->detail = NW_RESET_RECEIVED;
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	nw_submit(e);
}

/*
 * A TCP segment with a bad checksum, as the packet travelled (sender first), like drops. Where
 * the drop program runs, the event is reported from the drop (reason TCP_CSUM), which knows the
 * receiving socket; here it is only counted (as TcpInCsumErrors is).
 */
static __always_inline void nw_bad_csum_event(const struct sk_buff *skb, const struct nw_pkt *p, __u64 cookie,
					      __u64 cg, const struct sock *sk)
{
	struct nw_error_event *e;

	if (!nw_ports_match(p->t.dport, p->t.sport) && !nw_ports_match(p->t.sport, p->t.dport))
		return;
	if (!nw_sk_owner_match(sk))
		return;
	e = nw_error_begin(NW_EV_BAD_CSUM, cookie, cg);
	if (!e)
		return;
	nw_error_owner(e, sk);
	e->h.t = p->t;
	e->seq = p->seq;
	e->ack = p->ack;
	e->len = p->payload;
	e->tcp_flags = p->flags;
	e->extra = p->proto;
	nw_submit(e);
}

static __always_inline void nw_bad_csum(const struct sk_buff *skb)
{
	struct nw_pkt p = {};

	nw_count(0, NW_CNT_BAD_CSUM, 0);
	if (targ_csum_at_drop || nw_parse_skb_nh(skb, &p) != 0)
		return;
	nw_bad_csum_event(skb, &p, 0, 0, 0);
}

/* A drop that is not a loss: its reason freed by a function of the agent's table. */
static __always_inline bool nw_drop_benign(__u32 reason, __u64 location)
{
	__u32 i;

	for (i = 0; i < NW_BENIGN_MAX; i++) {
		if (i >= targ_benign_n)
			break;
		if (targ_benign[i].reason == reason && location >= targ_benign[i].lo && location < targ_benign[i].hi)
			return true;
	}
	return false;
}

/*
 * kfree_skb with a drop reason. The socket is the receiving one when the kernel
 * tells (rx_sk, v6.11+) or the skb's owner. The tuple is the packet's own (sender
 * first): a drop can happen on either path. Benign drops (nw_drop_benign) are counted
 * apart and reported only on request.
 */
static __always_inline void nw_drop(const struct sk_buff *skb, __u64 location, __u32 reason,
				    const struct sock *rx_sk)
{
	struct nw_error_event *e;
	struct nw_pkt p = {};
	const struct sock *sk = rx_sk;
	__u16 proto = skb->protocol;
	__u64 cookie = 0, cg = 0;
	bool benign;
	int parsed;

	if (nw_drop_reason_is(reason, SKB_CONSUMED))
		return;
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		return;
	if (!sk)
		sk = skb->sk;
	if (sk && nw_sk_fullsock(sk) && (nw_sk_is_tcp(sk) || nw_sk_is_udp(sk))) {
		cookie = sk->__sk_common.skc_cookie.counter;
		cg = nw_cg_of(sk, cookie);
	} else {
		sk = 0;
	}
	benign = nw_drop_benign(reason, location);
	nw_count(cg, benign ? NW_CNT_DROP_BENIGN : NW_CNT_DROP, reason);
	parsed = nw_parse_skb_nh(skb, &p);
	if (targ_csum_at_drop && parsed == 0 && p.proto == IPPROTO_TCP &&
	    nw_drop_reason_is(reason, SKB_DROP_REASON_TCP_CSUM))
		nw_bad_csum_event(skb, &p, cookie, cg, sk);
	if (benign && !targ_benign_events)
		return;
	/* A port filter keeps packets with a matching port; packets without ports never match. */
	if (nw_port_filter()) {
		if (parsed != 0)
			return;
		if (!nw_ports_match(p.t.dport, p.t.sport) && !nw_ports_match(p.t.sport, p.t.dport))
			return;
	}
	if (!nw_sk_owner_match(sk))
		return;
	e = nw_error_begin(benign ? NW_EV_BENIGN_DROP : NW_EV_DROP, cookie, cg);
	if (!e)
		return;
	nw_error_owner(e, sk);
	if (parsed >= 0)
		e->h.t = p.t;
	e->detail = reason;
	e->seq = p.seq;
	e->ack = p.ack;
	e->len = p.payload;
	e->tcp_flags = p.flags;
	e->extra = p.proto;
	e->location = location;
	nw_submit(e);
}

/* The receive queue was full (rmem) or the socket hit its memory limit. */
static __always_inline void nw_sock_pressure(const struct sock *sk, __u16 type, __u16 kind, __u32 extra)
{
	struct nw_error_event *e;
	__u64 cookie = 0, cg;
	__u16 fam = nw_sk_family(sk);

	if (fam != AF_INET && fam != AF_INET6)
		return;
	cookie = sk->__sk_common.skc_cookie.counter;
	cg = nw_cg_of(sk, cookie);
	nw_count(cg, kind, nw_sk_protocol(sk));
	if (!nw_sk_match(sk))
		return;
	e = nw_error_begin(type, cookie, cg);
	if (!e)
		return;
	nw_tuple_from_sk(sk, &e->h.t);
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->detail = nw_sk_protocol(sk);
	e->extra = extra;
	nw_submit(e);
}

static __always_inline void nw_icmp_sent(const struct sk_buff *skb, int type, int code)
{
	const struct sock *sk = skb->sk;
	__u64 cg = 0;

	if (sk && nw_sk_fullsock(sk))
		cg = nw_sk_cgroup_id(sk);
	nw_count(cg, NW_CNT_ICMP_SENT, ((type & 0xff) << 8) | (code & 0xff));
}

#endif /* NW_ERRORS_BPF_H */
