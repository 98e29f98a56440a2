/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP state times (the upstream net_watcher -S): every transition of a TCP socket
 * (inet_sock_set_state) with the time spent in the state it leaves. The time a socket entered its
 * state is kept in its local storage (struct nw_owner.state_ns, next to its owner), so this costs
 * one socket-storage lookup per transition and nothing per packet.
 *
 * Always on: a client's connect latency (SYN_SENT -> ESTABLISHED) into its cgroup's log2
 * histogram (connect_hists), and a client's failed handshake (SYN_SENT -> CLOSE) counted per cgroup
 * by its cause, read from the socket's error: the kernel stores it before tcp_done() moves the
 * socket to CLOSE (tcp_reset: ECONNREFUSED; tcp_write_err: sk_err_soft, else ETIMEDOUT).
 * On request (targ_state_events): an event per transition.
 *
 * Not seen here: a server's SYN_RECV before its final ACK lives in a request socket (no state
 * changes); the child socket enters SYN_RECV when that ACK arrives, so SYN_RECV -> ESTABLISHED is
 * the child's setup only. TIME_WAIT lives in a timewait socket after the full socket closed.
 */
#ifndef NW_STATE_BPF_H
#define NW_STATE_BPF_H

#include "emit.bpf.h"
#include "hist.bpf.h"
#include "sock.bpf.h"

/* asm-generic errno values (x86, arm64 and most architectures). */
#define NW_ETIMEDOUT 110
#define NW_ECONNREFUSED 111

/* Report every TCP state transition as an NW_EV_STATE event (the aggregates are always on). */
const volatile bool targ_state_events = false;

static const struct nw_hist zero_hist;

static __always_inline __u8 nw_handshake_failure(int sk_err)
{
	if (sk_err == NW_ECONNREFUSED)
		return NW_HS_REFUSED;
	if (sk_err == NW_ETIMEDOUT)
		return NW_HS_TIMED_OUT;
	return NW_HS_OTHER;
}

static __always_inline void nw_state_emit(const struct sock *sk, const struct nw_owner *o, __u64 cgroup_id, __u64 now,
					  int oldstate, int newstate, __u64 duration_ns, __u8 failure, int sk_err)
{
	struct nw_state_event *e;

	if (!nw_sk_match(sk))
		return;
	e = nw_reserve(sizeof(*e));
	if (!e)
		return;
	nw_fill_hdr(&e->h, NW_EV_STATE, bpf_get_socket_cookie((void *)sk), cgroup_id);
	e->h.ts_ns = now; /* the transition's time: the next one's duration starts here */
	nw_tuple_from_sk(sk, &e->h.t);
	e->duration_ns = duration_ns;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->failure = failure;
	e->pad = 0;
	e->sk_err = sk_err;
	if (o && o->pid) {
		e->h.pid = o->pid;
		__builtin_memcpy(e->comm, o->comm, NW_COMM_LEN);
	} else {
		__builtin_memset(e->comm, 0, NW_COMM_LEN);
	}
	nw_submit(e);
}

/*
 * A transition, with the handshake failure's cause when the caller knows it better than the
 * socket's error (0: from the error).
 */
static __always_inline void nw_state_transition(const struct sock *sk, int oldstate, int newstate, __u8 cause)
{
	struct nw_owner *o;
	__u64 now, since, duration = 0, cgroup_id;
	__u8 failure = 0;
	int sk_err;

	now = bpf_ktime_get_ns();
	/* A socket about to close needs no new storage: its time in the last state is then unknown. */
	o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0,
			       newstate == TCP_CLOSE ? 0 : BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		since = o->state_ns;
		if (since && now >= since)
			duration = now - since;
		o->state_ns = now;
	}
	cgroup_id = nw_sk_cgroup_id(sk);
	if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED && duration) {
		struct nw_hist *h = nw_lookup_or_init(&connect_hists, &cgroup_id, &zero_hist, NW_STAT_HIST_FULL);

		if (h)
			nw_hist_add(h, duration);
	}
	sk_err = sk->sk_err;
	if (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE) {
		failure = cause ? cause : nw_handshake_failure(sk_err);
		nw_count(cgroup_id, NW_CNT_HANDSHAKE_FAIL, failure);
	}
	if (targ_state_events)
		nw_state_emit(sk, o, cgroup_id, now, oldstate, newstate, duration, failure, sk_err);
}

static __always_inline void nw_state_time(const struct sock *sk, int oldstate, int newstate)
{
	if (!nw_sk_is_tcp(sk))
		return;
	nw_state_transition(sk, oldstate, newstate, 0);
}

/*
 * A client's SYN_SENT -> CLOSE whose state-change run was not seen (a program does not nest on
 * one CPU: the kernel counts the skipped run in recursion_misses), found when the socket is
 * destroyed (conn.bpf.h). Its error is gone by then (reading SO_ERROR clears it), so the cause is
 * what is left: a reset received in SYN_SENT (refused), or the SYN retries spent (timed out:
 * icsk_retransmits reached the limit tcp_write_timeout() gives up at), else other. Its time in
 * SYN_SENT ends here, at the socket's destruction (after the application's close()).
 */
static __always_inline void nw_state_missed_handshake(const struct sock *sk, __u32 resets)
{
	/*
	 * Read, not dereferenced: the hook's argument is a struct sock, and the verifier of v6.1
	 * rejects a direct load past its end (inet_connection_sock's fields).
	 */
	const struct inet_connection_sock *icsk = (const struct inet_connection_sock *)sk;
	__u8 limit = BPF_CORE_READ(icsk, icsk_syn_retries);
	__u8 cause = NW_HS_OTHER;

	if (!limit)
		limit = BPF_CORE_READ(sk, __sk_common.skc_net.net, ipv4.sysctl_tcp_syn_retries);
	if (resets)
		cause = NW_HS_REFUSED;
	else if (BPF_CORE_READ(icsk, icsk_retransmits) >= limit)
		cause = NW_HS_TIMED_OUT;
	nw_state_transition(sk, TCP_SYN_SENT, TCP_CLOSE, cause);
}

#endif /* NW_STATE_BPF_H */
