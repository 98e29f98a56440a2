/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket accessors. Handlers called from BTF-typed programs (tp_btf, fentry, iter, sockops) load
 * fields directly: a plain load with a CO-RE relocation, faults caught by the kernel. The kprobe
 * twins read no socket field; one that needs to gets a _probe accessor here, reading through
 * BPF_CORE_READ (bpf_probe_read_kernel), as compat.bpf.h has for sk_protocol.
 */
#ifndef NW_SOCK_BPF_H
#define NW_SOCK_BPF_H

#include "maps.bpf.h"
#include "parse.bpf.h"

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

/* Is this an IPv4 or IPv6 UDP socket? The protocol first: a TCP socket leaves at one compare. */
static __always_inline bool nw_sk_is_udp(const struct sock *sk)
{
	__u16 fam;

	if (nw_sk_protocol(sk) != IPPROTO_UDP)
		return false;
	fam = nw_sk_family(sk);
	return fam == AF_INET || fam == AF_INET6;
}

static __always_inline void nw_tuple_from_common(const struct sock_common *c, struct nw_tuple *t)
{
	__u16 fam = c->skc_family;

	t->family = fam;
	t->sport = c->skc_num;
	t->dport = bpf_ntohs(c->skc_dport);
	if (fam == AF_INET) {
		nw_tuple_v4(t, c->skc_rcv_saddr, c->skc_daddr);
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

/*
 * The owner filter (--uid) on a socket, maybe NULL: its owner is the process in its storage
 * (maps.bpf.h); a socket without a known owner, or no socket, does not match.
 */
static __always_inline bool nw_sk_owner_match(const struct sock *sk)
{
	struct nw_owner *o;

	if (!targ_cfg.filter_uid)
		return true;
	if (!sk)
		return false;
	o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, 0);
	return o && o->pid && nw_uid_match(o->uid);
}

/* The port and owner filters on a socket. */
static __always_inline bool nw_sk_match(const struct sock *sk)
{
	if (!nw_sk_owner_match(sk))
		return false;
	if (!nw_port_filter())
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

#endif /* NW_SOCK_BPF_H */
