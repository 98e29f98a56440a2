/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Connect counts (bcc tcpconnect -c): connect() calls per cgroup, local address, destination
 * address and destination port, counted where connect() moves the socket from CLOSE to SYN_SENT
 * (inet_sock_set_state, in the caller's process context), whether the handshake then succeeds or
 * fails. tcpconnect counts at tcp_v4_connect()'s return; the transition is inside it, after the
 * route gave the local address and before the SYN is sent, so both count the same calls except
 * one that fails between the two (no local port left: EADDRNOTAVAIL), counted here and not there.
 *
 * Always on, with the agent's filters: the owner filter on the connecting process (its uid, as
 * tcpconnect -u), the port filter on the destination port and on the local port the socket has
 * then: a port bound before connect(); an ephemeral port is picked after this point (0 here).
 * Cost: one hash lookup and an atomic add per connect(), an insert for a new tuple.
 */
#ifndef NW_CONNECTS_BPF_H
#define NW_CONNECTS_BPF_H

#include "sock.bpf.h"

/* Is this IPv6 address IPv4-mapped (::ffff:a.b.c.d)? */
static __always_inline bool nw_in6_v4mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0xffff);
}

static __always_inline void nw_connect_count(const struct sock *sk)
{
	const struct sock_common *c = &sk->__sk_common;
	struct nw_connect_key k = {};
	const __u64 zero = 0;
	__u64 *v;

	if (!nw_uid_match((__u32)bpf_get_current_uid_gid()))
		return;
	if (!nw_ports_match(nw_sk_lport(sk), nw_sk_rport(sk)))
		return;
	k.cgroup_id = nw_sk_cgroup_id(sk);
	/*
	 * An IPv6 socket connecting to an IPv4 address goes through tcp_v4_connect(), which sets the
	 * IPv4 addresses and moves the socket to SYN_SENT before tcp_v6_connect() copies the local one
	 * into skc_v6_rcv_saddr (still :: here): the IPv4 fields hold both.
	 */
	if (c->skc_family == AF_INET6 && nw_in6_v4mapped(&c->skc_v6_daddr))
		nw_tuple_v4(&k.t, c->skc_rcv_saddr, c->skc_daddr);
	else
		nw_tuple_from_common(c, &k.t);
	k.t.sport = 0;
	k.t.dport = nw_sk_rport(sk);
	v = nw_lookup_or_init(&connect_counts, &k, &zero, NW_STAT_CONNECTS_FULL);
	if (v)
		nw_add(v, 1);
}

#endif /* NW_CONNECTS_BPF_H */
