/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses and packet headers: addresses are 16 bytes, IPv4 mapped into IPv6
 * (::ffff:a.b.c.d); a packet's headers are parsed from its network header, its tuple read
 * sender first (as it travelled).
 */
#ifndef NW_PARSE_BPF_H
#define NW_PARSE_BPF_H

#include "config.bpf.h"

/* An IPv4 address (network byte order) as tuples store it: IPv4-mapped, ::ffff:a.b.c.d. */
static __always_inline void nw_addr_v4(__u8 *a, __u32 v4)
{
	__builtin_memset(a, 0, 10);
	a[10] = 0xff;
	a[11] = 0xff;
	__builtin_memcpy(&a[12], &v4, 4);
}

/* Both endpoints of a tuple are IPv4 addresses (network byte order). */
static __always_inline void nw_tuple_v4(struct nw_tuple *t, __u32 saddr, __u32 daddr)
{
	t->family = AF_INET;
	nw_addr_v4(t->saddr, saddr);
	nw_addr_v4(t->daddr, daddr);
}

/* Is a before b in sequence space? */
static __always_inline bool nw_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

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
		if (ip.ihl < 5)
			return -1;
		nw_tuple_v4(&p->t, ip.saddr, ip.daddr);
		totlen = bpf_ntohs(ip.tot_len);
		if (ip.ihl == 5 && ip.protocol == IPPROTO_TCP) {
			__u32 hl = hdrs.th.doff * 4;

			p->proto = IPPROTO_TCP;
			p->t.sport = bpf_ntohs(hdrs.th.source);
			p->t.dport = bpf_ntohs(hdrs.th.dest);
			p->seq = bpf_ntohl(hdrs.th.seq);
			p->ack = bpf_ntohl(hdrs.th.ack_seq);
			p->flags = ((__u8 *)&hdrs.th)[13];
			p->payload = totlen > 20 + hl ? totlen - 20 - hl : 0;
			return 0;
		}
		l4off = ip.ihl * 4;
		p->proto = ip.protocol;
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

#endif /* NW_PARSE_BPF_H */
