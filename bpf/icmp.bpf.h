/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ICMP and ICMPv6: echo requests and replies, counted per cgroup (a local socket sent or read them)
 * or network namespace (the kernel received a request or sent a reply), ICMP errors sent and
 * received by type and code, and sampled events per side of an echo exchange: the responder's
 * kernel time (request at netif_receive_skb -> its reply at net_dev_queue, same namespace) and
 * the requester's (request at net_dev_queue -> reply copied to the socket), with the CPU and the
 * task that were running when the kernel received the packet (traceicmpsoftirq).
 *
 * Receive and transmit ride in TCP's programs on the same tracepoints (rx.stack's
 * netif_receive_skb, tx.device's net_dev_queue), after the TCP work: a non-ICMP packet pays the
 * protocol check (RX: the IP header's protocol byte, one probed read; TX: the socket's protocol,
 * two loads), not a program run of its own. The datagram read is a program of its own on
 * skb_copy_datagram_iovec (no TCP program there). targ_icmp = false (--no-icmp) prunes them.
 * Packets forwarded by the node are not counted on transmit (no local socket); on receive they are
 * counted in the namespace of the device they arrived at. IPv6 extension headers are not walked.
 */
#ifndef NW_ICMP_BPF_H
#define NW_ICMP_BPF_H

#include "emit.bpf.h"
#include "sample.bpf.h"
#include "sock.bpf.h"

/* --no-icmp: false prunes the ICMP work out of the programs it rides in, at load. */
const volatile bool targ_icmp = true;

#define IPPROTO_ICMP 1
#define IPPROTO_ICMPV6 58
#define NW_IPPROTO_RAW 255

#define NW_ICMP_REQUEST 1
#define NW_ICMP_REPLY 2
#define NW_ICMP_ERROR 3

/* An ICMP message parsed from its headers, addresses as on the wire (s = sender). */
struct nw_icmp_pkt {
	struct nw_tuple t;
	__u8 type;
	__u8 code;
	__u16 id;
	__u16 seq;
	__u8 what;      /* NW_ICMP_REQUEST, _REPLY, _ERROR, or 0 for other messages */
	__u8 pad;
};

/* One echo exchange: the requester's address, the identifier and the sequence number. */
struct nw_echo_key {
	__u8 requester[16];
	__u16 id;
	__u16 seq;
	__u16 family;
	__u16 pad;
};

struct nw_echo {
	__u64 t_sent;            /* request left a local socket (requester side), 0 when not seen */
	__u64 t_received;        /* request arrived at a device (the last one before its reply) */
	__u32 rx_netns;          /* namespace of that device */
	__u32 cpu;               /* context of the last packet of the exchange received */
	__u32 pid;
	__u32 tgid;
	__u8 comm[NW_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_echo_key);
	__type(value, struct nw_echo);
} icmp_echo SEC(".maps");

/*
 * Parse IPv4/IPv6 + ICMP at `nh` (the network header). Returns 0 for an ICMP or ICMPv6 message
 * (what set), -1 for anything else: a packet of another protocol leaves after its protocol byte.
 */
static __always_inline int nw_icmp_parse(const unsigned char *nh, __u16 eth_proto, struct nw_icmp_pkt *p)
{
	struct {
		__u8 type;
		__u8 code;
		__u16 csum;
		__u16 id;
		__u16 seq;
	} ic;
	__u8 proto;
	__u32 l4;

	if (eth_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&proto, 1, nh + 9) || proto != IPPROTO_ICMP)
			return -1;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), nh) || ip.ihl < 5)
			return -1;
		if (ip.frag_off & bpf_htons(0x1fff))
			return -1; /* a later fragment: no ICMP header */
		l4 = ip.ihl * 4;
		__builtin_memset(p, 0, sizeof(*p));
		nw_tuple_v4(&p->t, ip.saddr, ip.daddr);
	} else if (eth_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&proto, 1, nh + 6) || proto != IPPROTO_ICMPV6)
			return -1;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), nh))
			return -1;
		l4 = sizeof(ip6);
		__builtin_memset(p, 0, sizeof(*p));
		p->t.family = AF_INET6;
		__builtin_memcpy(p->t.saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->t.daddr, &ip6.daddr, 16);
	} else {
		return -1;
	}
	if (bpf_probe_read_kernel(&ic, sizeof(ic), nh + l4))
		return -1;
	p->type = ic.type;
	p->code = ic.code;
	if (p->t.family == AF_INET) {
		if (ic.type == 8)
			p->what = NW_ICMP_REQUEST;
		else if (ic.type == 0)
			p->what = NW_ICMP_REPLY;
		else if (ic.type == 3 || ic.type == 4 || ic.type == 5 || ic.type == 11 || ic.type == 12)
			p->what = NW_ICMP_ERROR;
	} else {
		if (ic.type == 128)
			p->what = NW_ICMP_REQUEST;
		else if (ic.type == 129)
			p->what = NW_ICMP_REPLY;
		else if (ic.type < 128)
			p->what = NW_ICMP_ERROR;
	}
	if (p->what == NW_ICMP_REQUEST || p->what == NW_ICMP_REPLY) {
		p->id = bpf_ntohs(ic.id);
		p->seq = bpf_ntohs(ic.seq);
	}
	return 0;
}

static __always_inline void nw_icmp_count(__u64 cgroup_id, __u32 netns, __u8 kind, const struct nw_icmp_pkt *p)
{
	struct nw_icmp_key k = {
		.cgroup_id = cgroup_id,
		.netns = netns,
		.kind = kind,
		.family = (__u8)p->t.family,
	};
	const __u64 zero = 0;
	__u64 *v;

	if (p->what == NW_ICMP_ERROR) {
		k.type = p->type;
		k.code = p->code;
	}
	v = nw_lookup_or_init(&icmp_counters, &k, &zero, NW_STAT_COUNTERS_FULL);
	if (v)
		nw_add(v, 1);
}

static __always_inline void nw_echo_key_of(const struct nw_icmp_pkt *p, const __u8 *requester, struct nw_echo_key *k)
{
	__builtin_memcpy(k->requester, requester, 16);
	k->id = p->id;
	k->seq = p->seq;
	k->family = p->t.family;
	k->pad = 0;
}

/* The task and CPU this packet is being received on (softirq: whatever task it interrupted). */
static __always_inline void nw_echo_context(struct nw_echo *x)
{
	__u64 pt = bpf_get_current_pid_tgid();

	x->cpu = bpf_get_smp_processor_id();
	x->pid = (__u32)pt;
	x->tgid = pt >> 32;
	bpf_get_current_comm(x->comm, sizeof(x->comm));
}

static __always_inline __u32 nw_dev_netns(const struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
}

/*
 * One side of an exchange, sampled like packet events: `reply` is the reply packet (s = responder,
 * d = requester), `x` the exchange with the context its last received packet was handled in.
 */
static __always_inline void nw_icmp_emit(const struct nw_icmp_pkt *reply, const struct nw_echo *x, __u8 side,
					 __u64 latency, __u32 netns, __u64 cgroup_id, __u64 now)
{
	struct nw_icmp_event *e;

	if (!nw_sample(now) || !nw_budget_take(true))
		return;
	e = nw_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	nw_fill_hdr(&e->h, NW_EV_ICMP, 0, cgroup_id);
	e->h.t.family = reply->t.family;
	if (side == NW_ICMP_REQUESTER) {
		__u64 pt = bpf_get_current_pid_tgid();

		__builtin_memcpy(e->h.t.saddr, reply->t.daddr, 16);
		__builtin_memcpy(e->h.t.daddr, reply->t.saddr, 16);
		e->h.pid = pt >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	} else {
		__builtin_memcpy(e->h.t.saddr, reply->t.saddr, 16);
		__builtin_memcpy(e->h.t.daddr, reply->t.daddr, 16);
	}
	e->latency_ns = latency;
	e->netns = netns;
	e->cpu = x->cpu;
	e->task_pid = x->pid;
	e->task_tgid = x->tgid;
	__builtin_memcpy(e->task_comm, x->comm, NW_COMM_LEN);
	e->id = reply->id;
	e->seq = reply->seq;
	e->side = side;
	nw_submit(e);
}

/* netif_receive_skb: the network header is at skb->data. */
static __always_inline void nw_icmp_rx(const struct sk_buff *skb)
{
	struct nw_icmp_pkt p;
	struct nw_echo_key k;
	struct nw_echo *x;
	__u32 netns;

	if (nw_icmp_parse(skb->data, skb->protocol, &p))
		return;
	netns = nw_dev_netns(skb);
	if (p.what == NW_ICMP_REQUEST) {
		struct nw_echo n = {};

		nw_icmp_count(0, netns, NW_ICMP_ECHO_REQUEST_RECEIVED, &p);
		nw_echo_key_of(&p, p.t.saddr, &k);
		x = bpf_map_lookup_elem(&icmp_echo, &k);
		if (x)
			n.t_sent = x->t_sent; /* sent from this node: keep the requester's stamp */
		n.t_received = bpf_ktime_get_ns();
		n.rx_netns = netns;
		nw_echo_context(&n);
		bpf_map_update_elem(&icmp_echo, &k, &n, BPF_ANY);
	} else if (p.what == NW_ICMP_REPLY) {
		nw_echo_key_of(&p, p.t.daddr, &k);
		x = bpf_map_lookup_elem(&icmp_echo, &k);
		if (x && x->t_sent)
			nw_echo_context(x); /* the requester side reports where its reply was received */
	} else if (p.what == NW_ICMP_ERROR) {
		nw_icmp_count(0, netns, NW_ICMP_ERROR_RECEIVED, &p);
	}
}

/* net_dev_queue: the network header is at head + network_header. Forwarded packets have no socket. */
static __always_inline void nw_icmp_tx(const struct sk_buff *skb)
{
	const struct sock *sk = skb->sk;
	__u16 nh = skb->network_header;
	struct nw_icmp_pkt p;
	struct nw_echo_key k;
	struct nw_echo *x;
	__u32 netns;
	__u64 now;
	__u16 proto;
	__u8 state;

	if (!sk)
		return;
	/*
	 * Only ICMP, ICMPv6 and IPPROTO_RAW sockets (the kernel's own ICMP sockets among them) send ICMP:
	 * loads instead of a probed read of the header. A request or TIME_WAIT mini socket (a SYN-ACK, a
	 * reset) has no sk_protocol: it leaves at its state.
	 */
	state = sk->__sk_common.skc_state;
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return;
	proto = nw_sk_protocol(sk);
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6 && proto != NW_IPPROTO_RAW)
		return;
	if (nh == (__u16)~0U || nw_icmp_parse(skb->head + nh, skb->protocol, &p))
		return;
	netns = nw_dev_netns(skb);
	if (p.what == NW_ICMP_REQUEST) {
		struct nw_echo n = {};

		nw_icmp_count(nw_sk_cgroup_id(sk), netns, NW_ICMP_ECHO_REQUEST_SENT, &p);
		nw_echo_key_of(&p, p.t.saddr, &k);
		n.t_sent = bpf_ktime_get_ns();
		bpf_map_update_elem(&icmp_echo, &k, &n, BPF_ANY);
	} else if (p.what == NW_ICMP_REPLY) {
		nw_icmp_count(0, netns, NW_ICMP_ECHO_REPLY_SENT, &p);
		nw_echo_key_of(&p, p.t.daddr, &k);
		x = bpf_map_lookup_elem(&icmp_echo, &k);
		if (!x || !x->t_received || x->rx_netns != netns)
			return;
		now = bpf_ktime_get_ns();
		if (now > x->t_received)
			nw_icmp_emit(&p, x, NW_ICMP_RESPONDER, now - x->t_received, netns, 0, now);
		x->t_received = 0; /* one responder event per request received */
	} else if (p.what == NW_ICMP_ERROR) {
		nw_icmp_count(0, netns, NW_ICMP_ERROR_SENT, &p);
	}
}

/* skb_copy_datagram_iovec: a datagram copied to the application; only ICMP sockets go further. */
static __always_inline void nw_icmp_read(const struct sk_buff *skb)
{
	const struct sock *sk = skb->sk;
	struct nw_icmp_pkt p;
	struct nw_echo_key k;
	struct nw_echo *x;
	__u16 proto, nh;
	__u64 cg, now;
	__u32 netns;

	if (!sk)
		return;
	proto = nw_sk_protocol(sk);
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
		return;
	nh = skb->network_header;
	if (nh == (__u16)~0U || nw_icmp_parse(skb->head + nh, skb->protocol, &p) || p.what != NW_ICMP_REPLY)
		return;
	cg = nw_sk_cgroup_id(sk);
	netns = nw_sk_netns(sk);
	nw_icmp_count(cg, netns, NW_ICMP_ECHO_REPLY_RECEIVED, &p);
	nw_echo_key_of(&p, p.t.daddr, &k);
	x = bpf_map_lookup_elem(&icmp_echo, &k);
	if (!x || !x->t_sent)
		return;
	now = bpf_ktime_get_ns();
	if (now > x->t_sent)
		nw_icmp_emit(&p, x, NW_ICMP_REQUESTER, now - x->t_sent, netns, cg, now);
	bpf_map_delete_elem(&icmp_echo, &k);
}

#endif /* NW_ICMP_BPF_H */
