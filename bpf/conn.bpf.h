/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP connections by socket cookie: lifecycle (inet_sock_set_state), a snapshot of
 * the tcp_sock counters (refreshed on received segments and at close), the
 * owning process, and per-process byte counts (the seed `flow`).
 */
#ifndef NW_CONN_BPF_H
#define NW_CONN_BPF_H

#include "core.bpf.h"

#define NW_RCV_SHUTDOWN 1
#define NW_SEND_SHUTDOWN 2

/*
 * Refresh the tcp_sock counters. bytes_acked counts the SYN and, once acknowledged,
 * our FIN; bytes_received counts the peer's FIN. Both are reported as payload bytes.
 */
static __always_inline void nw_conn_snapshot(const struct sock *sk, struct nw_conn *c, __u64 now)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 acked = BPF_CORE_READ(tp, bytes_acked);
	__u64 received = BPF_CORE_READ(tp, bytes_received);
	__u8 shut = nw_sk_shutdown(sk);
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

	/* The SYN (client) or SYN-ACK (server) is acknowledged once established. */
	if (acked > 0 && c->role == NW_ROLE_CLIENT)
		acked -= 1;
	/* Our FIN is queued (SEND_SHUTDOWN) and acknowledged when snd_una reached write_seq. */
	if ((shut & NW_SEND_SHUTDOWN) && acked > 0 &&
	    BPF_CORE_READ(tp, snd_una) == BPF_CORE_READ(tp, write_seq))
		acked -= 1;
	/* The peer's FIN advanced rcv_nxt by one. */
	if ((shut & NW_RCV_SHUTDOWN) && received > 0)
		received -= 1;

	c->update_ns = now;
	c->bytes_acked = acked;
	c->bytes_received = received;
	c->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	c->rttvar_us = BPF_CORE_READ(tp, mdev_us) >> 2;
	c->cwnd = nw_snd_cwnd(tp);
	c->ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	c->rwnd = BPF_CORE_READ(tp, rcv_wnd);
	c->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	c->total_retrans = BPF_CORE_READ(tp, total_retrans);
	if (c->role != NW_ROLE_SERVER) {
		c->backlog = BPF_CORE_READ(sk, sk_ack_backlog);
		c->max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	}
	c->sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	c->wmem_queued = BPF_CORE_READ(sk, sk_wmem_queued);
	c->rcvbuf = BPF_CORE_READ(sk, sk_rcvbuf);
	c->state = state;
	if (c->t.sport == 0)
		nw_tuple_from_sk(sk, &c->t);
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
	bpf_ringbuf_submit(e, 0);
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

/* send()/recv() returned `ret` bytes in process context: per-process bytes and owner. */
static __always_inline void nw_app_io(const struct sock *sk, int ret, bool tx, __u64 cookie)
{
	struct nw_flow_key fk = { .cookie = cookie };
	struct nw_flow *f;
	struct nw_conn *c;
	__u32 tgid;

	if (ret <= 0 || !nw_sk_is_tcp(sk))
		return;
	tgid = bpf_get_current_pid_tgid() >> 32;
	c = bpf_map_lookup_elem(&conns, &cookie);
	if (c) {
		__sync_fetch_and_add(tx ? &c->app_bytes_sent : &c->app_bytes_read, ret);
		if (c->pid != tgid)
			nw_conn_current(c);
	}
	if (!nw_sk_match(sk))
		return;
	fk.pid = tgid;
	f = bpf_map_lookup_elem(&flows, &fk);
	if (!f) {
		struct nw_flow n = {};

		n.cgroup_id = nw_sk_cgroup_id(sk);
		nw_tuple_from_sk(sk, &n.t);
		bpf_get_current_comm(n.comm, sizeof(n.comm));
		bpf_map_update_elem(&flows, &fk, &n, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&flows, &fk);
		if (!f)
			return;
	}
	__sync_fetch_and_add(tx ? &f->tx_bytes : &f->rx_bytes, ret);
}

#endif /* NW_CONN_BPF_H */
