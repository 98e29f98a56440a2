/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * DNS per pod, client side: queries a socket sends to port 53 over UDP or TCP (IPv4 and IPv6),
 * matched to their responses by (socket cookie, server address, query id). Counted per cgroup
 * (queries, responses by code, timeouts, unmatched responses), the latency of every answered
 * query in a per-cgroup log2 histogram, and sampled dns events with the question (name, type),
 * the response code, the answer count and the server.
 *
 * Two cgroup_skb programs on the cgroup2 root, separate from the TCP ones so they can be left out
 * (--no-dns): offset 0 is the IP header in both directions. A packet of a connected socket whose
 * ports are not 53 (every TCP segment but those of DNS over TCP) leaves at the first
 * instructions: two loads of the socket's ports from the context. Unconnected UDP sockets and
 * listeners read the IP header and the ports (three bpf_skb_load_bytes calls) before they leave.
 *
 * A query in flight waits in an LRU hash with a BPF timer: the response deletes it (which cancels
 * the timer), the timer counts a timeout. Whoever deletes the entry first owns the outcome, so a
 * query is never both answered and timed out. Not parsed: IP fragments, IPv6 extension headers,
 * a DNS-over-TCP segment that does not start a message (only the first of several pipelined
 * messages in one segment is seen), questions with compressed names, messages with QDCOUNT != 1.
 * Servers (a socket on port 53) are not counted: their peers are the clients.
 *
 * Query names may be sensitive: with targ_dns_names = 0 (--no-dns-names) the name is walked with
 * one-byte reads to find the query type and never copied.
 */
#ifndef NW_DNS_BPF_H
#define NW_DNS_BPF_H

#include "emit.bpf.h"
#include "hist.bpf.h"
#include "parse.bpf.h"
#include "sample.bpf.h"

#define NW_DNS_PORT 53
#define NW_DNS_LABELS 128       /* a 255-byte name has at most 127 labels */
#define NW_CLOCK_MONOTONIC 1

/* Copy query names into dns events (--no-dns-names sets 0). */
const volatile __u8 targ_dns_names = 1;
/* --no-dns: false prunes the DNS ingress out of cg_ingress at load. */
const volatile bool targ_dns = true;
/* A query with no response after this long is a timeout (--dns-timeout), ns. */
const volatile __u64 targ_dns_timeout_ns = 5000000000ULL;

/* A query in flight: one client socket, server and query id. */
struct nw_dns_qkey {
	__u64 cookie;
	__u8 server[16];
	__u16 id;
	__u16 pad[3];
};

struct nw_dns_query {
	struct bpf_timer timer;  /* fires at the timeout */
	__u64 t_sent;            /* the query left the socket, ns */
	__u64 cgroup_id;
	struct nw_tuple t;       /* s = client, d = server */
	__u32 pid;
	__u16 qtype;
	__u16 name_len;          /* 0 when names are off */
	__u8 protocol;
	__u8 pad[7];
	__u8 comm[NW_COMM_LEN];
	__u8 name[NW_DNS_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_dns_qkey);
	__type(value, struct nw_dns_query);
} dns_inflight SEC(".maps");

/* A new entry's value (bytes: a const struct with a bpf_timer would put a timer in .rodata). */
static const __u8 nw_dns_zero_query[sizeof(struct nw_dns_query)];

/* A DNS message's headers, addresses as on the wire (s = sender). */
struct nw_dns_msg {
	struct nw_tuple t;
	__u32 qname;             /* offset of the question's name */
	__u16 id;
	__u16 flags;
	__u16 ancount;
	__u8 protocol;
	__u8 pad;
};

/*
 * Parse IP + UDP/TCP + the DNS header; 0 for a message to (query) or from (response) port 53 with
 * one question, -1 for anything else. A packet with neither port 53 leaves after its headers.
 */
static __always_inline int nw_dns_parse(struct __sk_buff *ctx, struct nw_dns_msg *m)
{
	struct {
		__be16 id;
		__be16 flags;
		__be16 qdcount;
		__be16 ancount;
		__be16 nscount;
		__be16 arcount;
	} h;
	__be16 ports[2];
	__u32 l4, off;
	__u8 b0, proto;

	if (bpf_skb_load_bytes(ctx, 0, &b0, 1))
		return -1;
	if ((b0 >> 4) == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(ctx, 0, &ip, sizeof(ip)) || ip.ihl < 5)
			return -1;
		if (ip.frag_off & bpf_htons(0x3fff))
			return -1; /* a fragment: the DNS header is in the first one only, not parsed */
		proto = ip.protocol;
		l4 = ip.ihl * 4;
		nw_tuple_v4(&m->t, ip.saddr, ip.daddr);
	} else if ((b0 >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(ctx, 0, &ip6, sizeof(ip6)))
			return -1;
		proto = ip6.nexthdr; /* extension headers are not walked */
		l4 = sizeof(ip6);
		m->t.family = AF_INET6;
		__builtin_memcpy(m->t.saddr, &ip6.saddr, 16);
		__builtin_memcpy(m->t.daddr, &ip6.daddr, 16);
	} else {
		return -1;
	}
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return -1;
	if (bpf_skb_load_bytes(ctx, l4, ports, sizeof(ports)))
		return -1;
	m->t.sport = bpf_ntohs(ports[0]);
	m->t.dport = bpf_ntohs(ports[1]);
	if (m->t.sport != NW_DNS_PORT && m->t.dport != NW_DNS_PORT)
		return -1;
	m->protocol = proto;
	if (proto == IPPROTO_UDP) {
		off = l4 + 8;
	} else {
		__u8 doff;

		if (bpf_skb_load_bytes(ctx, l4 + 12, &doff, 1))
			return -1;
		off = l4 + (doff >> 4) * 4 + 2; /* the 2-byte length that starts each message over TCP */
	}
	if (ctx->len < off + sizeof(h) + 5)
		return -1; /* no DNS header and question (a bare ACK, a FIN) */
	if (bpf_skb_load_bytes(ctx, off, &h, sizeof(h)) || h.qdcount != bpf_htons(1))
		return -1;
	m->id = bpf_ntohs(h.id);
	m->flags = bpf_ntohs(h.flags);
	m->ancount = bpf_ntohs(h.ancount);
	m->qname = off + sizeof(h);
	return 0;
}

/* The question's name length (wire format, with its final 0) in [1, 255], or 0 if malformed. */
static __always_inline __u32 nw_dns_name_len(struct __sk_buff *ctx, __u32 qname)
{
	__u32 pos = 0;
	__u8 l = 1;
	int i;

	for (i = 0; i < NW_DNS_LABELS; i++) {
		if (bpf_skb_load_bytes(ctx, qname + pos, &l, 1))
			return 0;
		if (l == 0)
			break;
		if (l > 63)
			return 0; /* a compression pointer or extended label: not in a question */
		pos += l + 1;
		if (pos > NW_DNS_NAME_LEN - 2)
			return 0;
	}
	return l == 0 ? pos + 1 : 0;
}

static __always_inline void nw_dns_count(__u64 cgroup_id, __u8 kind, __u8 rcode, __u8 protocol, __u16 family)
{
	struct nw_dns_key k = {
		.cgroup_id = cgroup_id,
		.kind = kind,
		.rcode = rcode,
		.protocol = protocol,
		.family = (__u8)family,
	};
	const __u64 zero = 0;
	__u64 *v = nw_lookup_or_init(&dns_counters, &k, &zero, NW_STAT_COUNTERS_FULL);

	if (v)
		nw_add(v, 1);
}

/* An event for a query that ended (reserved; the caller submits or discards it). */
static __always_inline struct nw_dns_event *nw_dns_event_of(const struct nw_dns_query *q, __u64 cookie, __u16 id,
							    __u64 now)
{
	struct nw_dns_event *e;

	if (!nw_sample(now) || !nw_budget_take(true))
		return 0;
	e = nw_reserve(sizeof(*e));
	if (!e)
		return 0;
	nw_fill_hdr(&e->h, NW_EV_DNS, cookie, q->cgroup_id);
	e->h.ts_ns = now;
	e->h.pid = q->pid;
	e->h.t = q->t;
	e->id = id;
	e->qtype = q->qtype;
	e->name_len = q->name_len;
	e->protocol = q->protocol;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(e->comm, q->comm, NW_COMM_LEN);
	__builtin_memcpy(e->name, q->name, NW_DNS_NAME_LEN);
	return e;
}

/* The timer of a query in flight fired: a timeout, unless its response deleted it first. */
static int nw_dns_expired(void *map, struct nw_dns_qkey *k, struct nw_dns_query *q)
{
	__u64 now = bpf_ktime_get_ns();
	struct nw_dns_event *e = nw_dns_event_of(q, k->cookie, k->id, now);
	__u64 cgroup_id = q->cgroup_id;
	__u16 family = q->t.family;
	__u8 protocol = q->protocol;

	if (e) {
		e->latency_ns = now - q->t_sent;
		e->ancount = 0;
		e->rcode = 0;
		e->outcome = NW_DNS_TIMED_OUT;
	}
	if (bpf_map_delete_elem(map, k)) {
		if (e)
			bpf_ringbuf_discard(e, 0);
		return 0;
	}
	nw_dns_count(cgroup_id, NW_DNS_TIMEOUT, 0, protocol, family);
	if (e)
		nw_submit(e);
	return 0;
}

/* A query leaves a client socket: counted, and kept in flight until its response or its timeout. */
static __always_inline void nw_dns_query(struct __sk_buff *ctx, const struct nw_dns_msg *m, bool task)
{
	struct nw_dns_qkey k = { .id = m->id };
	struct nw_dns_query *q;
	__u64 cgroup_id = bpf_skb_cgroup_id(ctx);
	__u32 name_len = nw_dns_name_len(ctx, m->qname);
	__be16 qtype;

	if (!name_len || bpf_skb_load_bytes(ctx, m->qname + name_len, &qtype, sizeof(qtype)))
		return;
	nw_dns_count(cgroup_id, NW_DNS_QUERY, 0, m->protocol, m->t.family);
	k.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(k.server, m->t.daddr, 16);
	/* A retry of a query in flight (same socket, server and id) keeps the first one's time and timer. */
	if (bpf_map_update_elem(&dns_inflight, &k, nw_dns_zero_query, BPF_NOEXIST))
		return;
	q = bpf_map_lookup_elem(&dns_inflight, &k);
	if (!q)
		return;
	q->t_sent = bpf_ktime_get_ns();
	q->cgroup_id = cgroup_id;
	q->t = m->t;
	if (task) {
		q->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(q->comm, sizeof(q->comm));
	}
	q->qtype = bpf_ntohs(qtype);
	q->protocol = m->protocol;
	if (targ_dns_names) {
		__u32 n = name_len;

		/* [1, 256] for the verifier (name_len is in [1, 255]); v6.1 loses "n != 0" across a compare */
		barrier_var(n);
		n = ((n - 1) & (NW_DNS_NAME_LEN - 1)) + 1;
		if (!bpf_skb_load_bytes(ctx, m->qname, q->name, n))
			q->name_len = n;
	}
	if (bpf_timer_init(&q->timer, &dns_inflight, NW_CLOCK_MONOTONIC) == 0 &&
	    bpf_timer_set_callback(&q->timer, nw_dns_expired) == 0)
		bpf_timer_start(&q->timer, targ_dns_timeout_ns, 0);
}

/* A response arrives at a client socket: the query it answers ends (if this program deletes it first). */
static __always_inline void nw_dns_response(struct __sk_buff *ctx, const struct nw_dns_msg *m)
{
	struct nw_dns_qkey k = { .id = m->id };
	struct nw_dns_query *q;
	struct nw_dns_event *e;
	struct nw_hist *h;
	__u64 now, latency, cgroup_id;
	__u8 rcode = m->flags & 0xf;

	k.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(k.server, m->t.saddr, 16);
	q = bpf_map_lookup_elem(&dns_inflight, &k);
	if (!q) {
		nw_dns_count(bpf_skb_cgroup_id(ctx), NW_DNS_UNMATCHED, 0, m->protocol, m->t.family);
		return;
	}
	now = bpf_ktime_get_ns();
	latency = now > q->t_sent ? now - q->t_sent : 0;
	cgroup_id = q->cgroup_id;
	e = nw_dns_event_of(q, k.cookie, k.id, now);
	if (e) {
		e->latency_ns = latency;
		e->ancount = m->ancount;
		e->rcode = rcode;
		e->outcome = NW_DNS_ANSWERED;
	}
	if (bpf_map_delete_elem(&dns_inflight, &k)) {
		/* the timer took it first: this response came too late */
		if (e)
			bpf_ringbuf_discard(e, 0);
		nw_dns_count(cgroup_id, NW_DNS_UNMATCHED, 0, m->protocol, m->t.family);
		return;
	}
	nw_dns_count(cgroup_id, NW_DNS_RESPONSE, rcode, m->protocol, m->t.family);
	h = nw_lookup_or_init(&dns_hists, &cgroup_id, &zero_hists.layer[0], NW_STAT_HIST_FULL);
	if (h)
		nw_hist_add(h, latency);
	if (e)
		nw_submit(e);
}

/*
 * cgroup_skb: `egress` for packets a socket sends. Client side only: queries leave to port 53,
 * responses come from it. `task`: record the sending process of a query (pid, comm); the kernel
 * must let cgroup_skb programs call bpf_get_current_pid_tgid and bpf_get_current_comm, which 6.18
 * does and 6.1 does not (its verifier: "unknown func bpf_get_current_pid_tgid"), hence a twin
 * program without them (cg_dns_egress_notask in netwatcher.bpf.c).
 */
static __always_inline void nw_dns_skb(struct __sk_buff *ctx, bool egress, bool task)
{
	struct nw_dns_msg m;
	__u32 rport = ctx->remote_port;

	/* A connected socket (every TCP one) that talks to no port 53: most packets leave here. */
	if (rport && rport != bpf_htonl(NW_DNS_PORT) && ctx->local_port != NW_DNS_PORT)
		return;
	__builtin_memset(&m, 0, sizeof(m));
	if (nw_dns_parse(ctx, &m))
		return;
	if (egress) {
		if (m.t.dport == NW_DNS_PORT && !(m.flags & 0x8000))
			nw_dns_query(ctx, &m, task);
	} else if (m.t.sport == NW_DNS_PORT && (m.flags & 0x8000)) {
		nw_dns_response(ctx, &m);
	}
}

#endif /* NW_DNS_BPF_H */
