/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP connections by socket cookie: lifecycle (inet_sock_set_state), a snapshot of the
 * tcp_sock counters (refreshed by the agent's socket iterator, and at close), and the
 * owning process (the last one to send or receive, kept in socket storage). Per-process
 * byte rates (the seed `flow`) are the agent's per-interval deltas of these snapshots.
 */
#ifndef NW_CONN_BPF_H
#define NW_CONN_BPF_H

#include "core.bpf.h"

#define NW_RCV_SHUTDOWN 1
#define NW_SEND_SHUTDOWN 2

/* The owner of a socket, as the last process that sent or received on it. */
static __always_inline void nw_owner_copy(const struct sock *sk, struct nw_conn *c)
{
	struct nw_owner *o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, 0);

	if (o && o->pid) {
		c->pid = o->pid;
		c->uid = o->uid;
		__builtin_memcpy(c->comm, o->comm, NW_COMM_LEN);
	}
}

/* Process context on `sk` (connect, send, receive): remember who owns it. */
static __always_inline void nw_owner_set(const struct sock *sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct nw_cpu *c = nw_cpu();
	struct nw_owner *o;

	if (c && c->owner_sk == (__u64)sk && c->owner_pid == tgid)
		return;
	o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	if (c) {
		c->owner_sk = (__u64)sk;
		c->owner_pid = tgid;
	}
	if (o->pid == tgid)
		return;
	o->pid = tgid;
	o->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/*
 * Refresh the tcp_sock counters. bytes_acked counts the SYN and, once acknowledged,
 * our FIN; bytes_received counts the peer's FIN. Both are reported as payload bytes.
 */
static __always_inline void nw_conn_snapshot(const struct sock *sk, struct nw_conn *c, __u64 now)
{
	struct tcp_sock *tp = nw_tcp_sk(sk);
	__u64 acked, received;
	__u8 shut, state;

	if (!tp)
		return;
	acked = tp->bytes_acked;
	received = tp->bytes_received;
	shut = nw_sk_shutdown(sk);
	state = sk->__sk_common.skc_state;

	/* The SYN (client) or SYN-ACK (server) is acknowledged once established. */
	if (acked > 0 && c->role == NW_ROLE_CLIENT)
		acked -= 1;
	/* Our FIN is queued (SEND_SHUTDOWN) and acknowledged when snd_una reached write_seq. */
	if ((shut & NW_SEND_SHUTDOWN) && acked > 0 && tp->snd_una == tp->write_seq)
		acked -= 1;
	/* The peer's FIN advanced rcv_nxt by one. */
	if ((shut & NW_RCV_SHUTDOWN) && received > 0)
		received -= 1;

	c->update_ns = now;
	c->bytes_acked = acked;
	c->bytes_received = received;
	c->bytes_retrans = bpf_core_field_exists(tp->bytes_retrans) ? tp->bytes_retrans : 0;
	c->segs_out = tp->segs_out;
	c->srtt_us = tp->srtt_us >> 3;
	c->rttvar_us = tp->mdev_us >> 2;
	c->cwnd = nw_snd_cwnd(tp);
	c->ssthresh = tp->snd_ssthresh;
	c->rwnd = tp->rcv_wnd;
	c->snd_wnd = tp->snd_wnd;
	c->total_retrans = tp->total_retrans;
	if (c->role != NW_ROLE_SERVER) {
		c->backlog = sk->sk_ack_backlog;
		c->max_backlog = sk->sk_max_ack_backlog;
	}
	c->sndbuf = sk->sk_sndbuf;
	c->wmem_queued = sk->sk_wmem_queued;
	c->rcvbuf = sk->sk_rcvbuf;
	c->state = state;
	if (c->t.sport == 0)
		nw_tuple_from_sk(sk, &c->t);
	nw_owner_copy(sk, c);
}

static __always_inline void nw_conn_current(struct nw_conn *c)
{
	c->pid = bpf_get_current_pid_tgid() >> 32;
	c->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(c->comm, sizeof(c->comm));
}

static __always_inline void nw_conn_emit(const struct sock *sk, const struct nw_conn *c, __u64 cookie,
					 __u8 event, __u8 oldstate)
{
	struct nw_conn_event *e;

	if (!nw_sk_match(sk))
		return;
	e = nw_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(e->h) + 8);
	nw_fill_hdr(&e->h, NW_EV_CONN, cookie, c->cgroup_id);
	e->h.pid = c->pid;
	e->h.t = c->t;
	e->event = event;
	e->oldstate = oldstate;
	bpf_probe_read_kernel(&e->c, sizeof(e->c), c);
	nw_submit(e);
}

static __always_inline struct nw_conn *nw_conn_create(const struct sock *sk, __u64 cookie, __u8 role, __u64 start)
{
	struct nw_conn c = {};

	c.start_ns = start;
	c.role = role;
	c.cgroup_id = nw_sk_cgroup_id(sk);
	c.netns = nw_sk_netns(sk);
	nw_tuple_from_sk(sk, &c.t);
	if (bpf_map_update_elem(&conns, &cookie, &c, BPF_ANY)) {
		nw_stat(NW_STAT_CONN_FULL);
		return 0;
	}
	return bpf_map_lookup_elem(&conns, &cookie);
}

static __always_inline void nw_listener_key(const struct sock *sk, struct nw_listener_key *k)
{
	k->netns = nw_sk_netns(sk);
	k->port = nw_sk_lport(sk);
	k->pad = 0;
}

static __always_inline void nw_state_change(const struct sock *sk, int oldstate, int newstate, __u64 cookie)
{
	struct nw_listener_key lk;
	struct nw_conn *c;
	__u64 now;

	if (!nw_sk_is_tcp(sk))
		return;
	now = bpf_ktime_get_ns();

	if (newstate == TCP_LISTEN) {
		struct nw_listener l = {};

		nw_listener_key(sk, &lk);
		l.sk = (__u64)sk;
		l.cgroup_id = nw_sk_cgroup_id(sk);
		l.pid = bpf_get_current_pid_tgid() >> 32;
		l.uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(l.comm, sizeof(l.comm));
		bpf_map_update_elem(&listeners, &lk, &l, BPF_ANY);
		return;
	}
	if (oldstate == TCP_LISTEN) {
		nw_listener_key(sk, &lk);
		bpf_map_delete_elem(&listeners, &lk);
		return;
	}
	if (newstate == TCP_SYN_SENT) {
		/* connect(): process context, the caller owns the socket. */
		c = nw_conn_create(sk, cookie, NW_ROLE_CLIENT, now);
		if (c)
			nw_conn_current(c);
		nw_owner_set(sk);
		return;
	}
	if (newstate == TCP_ESTABLISHED) {
		c = bpf_map_lookup_elem(&conns, &cookie);
		if (oldstate == TCP_SYN_RECV) {
			struct nw_listener *l;

			c = nw_conn_create(sk, cookie, NW_ROLE_SERVER, now);
			if (!c)
				return;
			nw_listener_key(sk, &lk);
			l = bpf_map_lookup_elem(&listeners, &lk);
			if (l) {
				const struct sock *lsk = (const struct sock *)l->sk;

				c->pid = l->pid;
				c->uid = l->uid;
				__builtin_memcpy(c->comm, l->comm, NW_COMM_LEN);
				/* Accept queue including this connection, and its limit. */
				c->backlog = BPF_CORE_READ(lsk, sk_ack_backlog);
				c->max_backlog = BPF_CORE_READ(lsk, sk_max_ack_backlog);
			}
		} else if (!c) {
			c = nw_conn_create(sk, cookie, NW_ROLE_CLIENT, now);
			if (!c)
				return;
		}
		c->established = 1;
		nw_conn_snapshot(sk, c, now);
		c->state = newstate; /* the tracepoint fires before sk_state is stored */
		nw_count(c->cgroup_id, NW_CNT_CONN_OPEN, c->role);
		nw_conn_emit(sk, c, cookie, NW_CONN_OPEN, oldstate);
		return;
	}
	if (newstate == TCP_CLOSE) {
		c = bpf_map_lookup_elem(&conns, &cookie);
		if (!c) {
			/* Opened before the agent started (or evicted): report what the socket knows. */
			c = nw_conn_create(sk, cookie, NW_ROLE_UNKNOWN, 0);
			if (!c)
				return;
			c->established = oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV;
		}
		nw_conn_snapshot(sk, c, now);
		c->state = newstate;
		nw_count(c->cgroup_id, NW_CNT_CONN_CLOSE, c->role);
		nw_conn_emit(sk, c, cookie, NW_CONN_CLOSE, oldstate);
		bpf_map_delete_elem(&conns, &cookie);
	}
}

/*
 * The agent's periodic walk over every TCP socket (iter/tcp, process context, socket locked):
 * refresh the snapshot of each tracked connection exactly as ss would read it, and learn the
 * listeners and connections that existed before the agent started.
 */
static __always_inline void nw_conn_iter(struct sock *sk, __u64 cookie)
{
	struct nw_listener_key lk;
	struct nw_conn *c;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__u64 now = bpf_ktime_get_ns();

	if (state == TCP_LISTEN) {
		struct nw_listener l = {};

		nw_listener_key(sk, &lk);
		l.sk = (__u64)sk;
		l.cgroup_id = nw_sk_cgroup_id(sk);
		bpf_map_update_elem(&listeners, &lk, &l, BPF_NOEXIST);
		return;
	}
	if (state == TCP_CLOSE || state == TCP_SYN_RECV)
		return;
	c = bpf_map_lookup_elem(&conns, &cookie);
	if (!c) {
		/* Opened before the agent: a server if its local port has a listener here. */
		nw_listener_key(sk, &lk);
		c = nw_conn_create(sk, cookie,
				   bpf_map_lookup_elem(&listeners, &lk) ? NW_ROLE_SERVER : NW_ROLE_UNKNOWN, 0);
		if (!c)
			return;
		c->established = state != TCP_SYN_SENT;
	}
	nw_conn_snapshot(sk, c, now);
}

/* A received segment on an established socket: refresh its snapshot now and then. */
static __always_inline void nw_conn_touch(const struct sock *sk, __u64 cookie)
{
	struct nw_conn *c;
	__u64 now;

	if (!targ_cfg.conn_snapshot)
		return;
	now = bpf_ktime_get_ns();
	c = bpf_map_lookup_elem(&conns, &cookie);
	if (!c) {
		c = nw_conn_create(sk, cookie, NW_ROLE_UNKNOWN, 0);
		if (!c)
			return;
		c->established = 1;
	} else if (now - c->update_ns < targ_cfg.snapshot_ns) {
		return;
	}
	nw_conn_snapshot(sk, c, now);
}

#endif /* NW_CONN_BPF_H */
