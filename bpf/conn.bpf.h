/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TCP connections by socket cookie: lifecycle (inet_sock_set_state), a snapshot of the
 * tcp_sock counters (refreshed by the agent's socket iterator, and at close), and the
 * owning process (the last one to send or receive, kept in socket storage). Per-process
 * byte rates (the seed `flow`) are the agent's per-interval deltas of these snapshots.
 *
 * Accounting: a connection is counted as opened once, when it is first known to be
 * established (its ESTABLISHED transition, or the agent's socket walk finding it), and as
 * closed once, when an established connection closes; so opened - closed is the number open,
 * per cgroup and role. A connection the conns map has no room for is kept in socket storage
 * (conn_untracked) so that it still opens and closes with its role and start time. A close
 * whose state-change program was skipped (a BPF program does not nest on one CPU: the kernel
 * counts it in the program's recursion_misses) is caught when the socket is destroyed, or else
 * by the agent's socket walk once the socket is no longer there (conn_gc).
 *
 * Concurrency: the programs that build records in conn_scratch nest on one CPU (a softirq
 * interrupts a process-context run, e.g. a close in release_sock()'s backlog; a tracing program
 * only skips itself), so each nesting level has its own scratch entry (nw_nest_enter() in the
 * program's shim). An untracked connection is moved into the map by the socket walk on one CPU
 * while its close may run on another: whoever takes its socket storage first (an atomic
 * compare-and-swap) counts the close or moves it, never both; a close that lost is caught at
 * destruction or by the walk.
 */
#ifndef NW_CONN_BPF_H
#define NW_CONN_BPF_H

#include "emit.bpf.h"
#include "sock.bpf.h"
#include "state.bpf.h"

#define NW_RCV_SHUTDOWN 1
#define NW_SEND_SHUTDOWN 2

/* Client open events come from the sockops ACTIVE_ESTABLISHED callback (set when it is attached). */
const volatile bool targ_client_open_at_sockops = false;

/* A connection the conns map had no room for: enough to open and close it consistently. */
struct nw_untracked {
	__u64 start_ns;
	__u64 cgroup_id;
	__u8 role;
	__u8 established;
	__u8 pad[2];
	__u32 taken; /* 1 while a program moves or closes it (see the top of the file) */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_untracked);
} conn_untracked SEC(".maps");

/* Nesting levels of the connection programs on one CPU: process context, softirq, and spare. */
#define NW_NEST_MAX 4

/* A connection record built outside the conns map (untracked connections), per CPU and nesting level. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NW_NEST_MAX);
	__type(key, __u32);
	__type(value, struct nw_conn);
} conn_scratch SEC(".maps");

/* How deep the connection programs are nested on this CPU right now. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} conn_nest SEC(".maps");

static __always_inline __u32 *nw_nest_depth(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&conn_nest, &zero);
}

/*
 * A program that may build connection records enters a nesting level first (false: too deep, do
 * nothing) and leaves it on its way out. A run interrupted by a nested one resumes at its own
 * depth: the nested run leaves the counter as it found it.
 */
static __always_inline bool nw_nest_enter(void)
{
	__u32 *d = nw_nest_depth();

	if (!d || *d >= NW_NEST_MAX)
		return false;
	*d += 1;
	return true;
}

static __always_inline void nw_nest_exit(void)
{
	__u32 *d = nw_nest_depth();

	if (d && *d)
		*d -= 1;
}

/* Take an untracked connection's storage to move or close it: false if another program has it. */
static __always_inline bool nw_untracked_take(struct nw_untracked *u)
{
	return __sync_val_compare_and_swap(&u->taken, 0, 1) == 0;
}

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

/* Process context on `sk` (connect, listen, send, receive): remember who owns it. */
static __always_inline void nw_owner_set(const struct sock *sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct nw_owner *o;

	/* A lookup first (the usual case: the same owner again), created only for a new owner. A
	 * per-CPU cache keyed by the socket's address would go stale: sockets reuse freed addresses. */
	o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, 0);
	if (o && o->pid == tgid)
		return;
	if (!o)
		o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
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
	c->bytes_retrans = nw_bytes_retrans(tp);
	c->segs_out = tp->segs_out;
	/*
	 * Once the connection left ESTABLISHED these keep their last working values: the ACK of a
	 * FIN after a long idle can put BBR into PROBE_RTT (cwnd 4) or inflate srtt with a delayed
	 * ACK, which is not what the connection ran with (TCP_INFO just before close() says so).
	 */
	if (!c->closing) {
		c->srtt_us = tp->srtt_us >> 3;
		c->rttvar_us = tp->mdev_us >> 2;
		c->cwnd = nw_snd_cwnd(tp);
		c->ssthresh = tp->snd_ssthresh;
	}
	c->rwnd = tp->rcv_wnd;
	c->snd_wnd = tp->snd_wnd;
	c->total_retrans = tp->total_retrans;
	c->sndbuf = sk->sk_sndbuf;
	c->wmem_queued = sk->sk_wmem_queued;
	c->rcvbuf = sk->sk_rcvbuf;
	c->state = state;
	if (c->t.sport == 0)
		nw_tuple_from_sk(sk, &c->t);
	nw_owner_copy(sk, c);
}

/*
 * A server connection's accept queue: an accepted socket is cloned from its listener
 * (inet_csk_clone_lock copies struct sock), so it carries the listener's queue length as it
 * was just before this connection was queued, and the listener's limit. Read from the child,
 * it is right even when several listeners share the port (SO_REUSEPORT, IPv4 and IPv6).
 */
static __always_inline void nw_conn_backlog(const struct sock *sk, struct nw_conn *c)
{
	c->backlog = BPF_CORE_READ(sk, sk_ack_backlog) + 1;
	c->max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
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

	/* The owner filter on the record's owner: a server's listener until its process reads or writes. */
	if (!nw_uid_match(c->uid) || !nw_ports_match(nw_sk_lport(sk), nw_sk_rport(sk)))
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

/* Counted as opened once, when first known to be established. */
static __always_inline void nw_conn_opened(struct nw_conn *c)
{
	if (c->established)
		return;
	c->established = 1;
	nw_count(c->cgroup_id, NW_CNT_CONN_OPEN, c->role);
}

/* A fresh record for `sk` in this CPU's scratch entry (for connections not in the conns map). */
static __always_inline struct nw_conn *nw_conn_scratch(const struct sock *sk, __u8 role, __u64 start)
{
	__u32 *d = nw_nest_depth();
	struct nw_conn *c;
	__u32 level;

	if (!d || !*d) /* a caller outside nw_nest_enter(): no entry of its own */
		return 0;
	level = *d - 1;
	c = bpf_map_lookup_elem(&conn_scratch, &level);
	if (!c)
		return 0;
	__builtin_memset(c, 0, sizeof(*c));
	c->start_ns = start;
	c->role = role;
	c->cgroup_id = nw_sk_cgroup_id(sk);
	c->netns = nw_sk_netns(sk);
	nw_tuple_from_sk(sk, &c->t);
	return c;
}

/* The record of an untracked connection, from its socket storage. */
static __always_inline struct nw_conn *nw_conn_of_untracked(const struct sock *sk, const struct nw_untracked *u)
{
	struct nw_conn *c = nw_conn_scratch(sk, u->role, u->start_ns);

	if (!c)
		return 0;
	if (u->cgroup_id)
		c->cgroup_id = u->cgroup_id;
	c->established = u->established;
	return c;
}

/*
 * A connection starts being tracked. When the conns map is full the insert is refused and
 * counted, and the connection is remembered in socket storage instead: then this returns 0
 * and *u points to that storage (0 as well if even that failed).
 */
static __always_inline struct nw_conn *nw_conn_create(const struct sock *sk, __u64 cookie, __u8 role, __u64 start,
						      struct nw_untracked **u)
{
	struct nw_conn *c = nw_conn_scratch(sk, role, start);
	struct nw_untracked *s;

	*u = 0;
	if (!c)
		return 0;
	if (bpf_map_update_elem(&conns, &cookie, c, BPF_ANY) == 0)
		return bpf_map_lookup_elem(&conns, &cookie);
	nw_stat(NW_STAT_CONN_FULL);
	s = bpf_sk_storage_get(&conn_untracked, (struct sock *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (s) {
		s->start_ns = start;
		s->cgroup_id = nw_sk_cgroup_id(sk);
		s->role = role;
		s->established = 0;
	}
	*u = s;
	return 0;
}

static __always_inline void nw_listener_key(const struct sock *sk, struct nw_listener_key *k)
{
	k->netns = nw_sk_netns(sk);
	k->port = nw_sk_lport(sk);
	k->pad = 0;
}

/* A listening socket (listen() in process context, or found by the socket walk). */
static __always_inline void nw_listener_add(const struct sock *sk, bool process_context)
{
	struct nw_listener_key lk;
	struct nw_listener l = {};

	nw_listener_key(sk, &lk);
	l.sk = (__u64)sk;
	l.cgroup_id = nw_sk_cgroup_id(sk);
	if (process_context) {
		l.pid = bpf_get_current_pid_tgid() >> 32;
		l.uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(l.comm, sizeof(l.comm));
		bpf_map_update_elem(&listeners, &lk, &l, BPF_ANY);
		nw_owner_set(sk);
	} else {
		bpf_map_update_elem(&listeners, &lk, &l, BPF_NOEXIST);
	}
}

/* A server connection belongs to its listener's process until one sends or receives on it. */
static __always_inline void nw_conn_listener_owner(const struct sock *sk, struct nw_conn *c)
{
	struct nw_listener_key lk;
	struct nw_listener *l;

	nw_listener_key(sk, &lk);
	l = bpf_map_lookup_elem(&listeners, &lk);
	if (l && l->pid) {
		c->pid = l->pid;
		c->uid = l->uid;
		__builtin_memcpy(c->comm, l->comm, NW_COMM_LEN);
	}
}

/* The client's transfer state is initialised: report its open (cwnd, ssthresh as ss shows them). */
static __always_inline void nw_client_open(const struct sock *sk, __u64 cookie, int oldstate)
{
	struct nw_untracked *u = 0;
	struct nw_conn *c;
	__u64 now = bpf_ktime_get_ns();

	c = bpf_map_lookup_elem(&conns, &cookie);
	if (!c) {
		u = bpf_sk_storage_get(&conn_untracked, (struct sock *)sk, 0, 0);
		if (u && !nw_untracked_take(u)) {
			/* The socket walk is moving it into the map (it inserts before it takes). */
			c = bpf_map_lookup_elem(&conns, &cookie);
		} else if (u) {
			if (!u->established) {
				u->established = 1;
				nw_count(u->cgroup_id, NW_CNT_CONN_OPEN, u->role);
			}
			c = nw_conn_of_untracked(sk, u);
			u->taken = 0;
		} else {
			/* Its connect() was not seen (the agent started in between). */
			c = nw_conn_create(sk, cookie, NW_ROLE_CLIENT, now, &u);
			if (!c && u) {
				u->established = 1;
				nw_count(u->cgroup_id, NW_CNT_CONN_OPEN, u->role);
				c = nw_conn_of_untracked(sk, u);
			}
		}
		if (!c)
			return;
	}
	nw_conn_opened(c);
	nw_conn_snapshot(sk, c, now);
	c->state = TCP_ESTABLISHED;
	nw_conn_emit(sk, c, cookie, NW_CONN_OPEN, oldstate);
}

/* A connection closed (or was destroyed without its close being seen): count, report, forget. */
static __always_inline void nw_conn_closed(const struct sock *sk, __u64 cookie, int oldstate, bool destroyed)
{
	struct nw_untracked *u;
	struct nw_conn *c;
	bool tracked = true;

	c = bpf_map_lookup_elem(&conns, &cookie);
	if (c && destroyed) {
		oldstate = c->state; /* the state it was last seen in */
		/* A client's failed handshake whose SYN_SENT -> CLOSE was missed too (state.bpf.h). */
		if (c->role == NW_ROLE_CLIENT && !c->established)
			nw_state_missed_handshake(sk, c->resets);
	}
	if (!c) {
		tracked = false;
		u = bpf_sk_storage_get(&conn_untracked, (struct sock *)sk, 0, 0);
		if (u && !nw_untracked_take(u)) {
			/* The socket walk is moving it into the map (it inserts before it takes): close it there. */
			c = bpf_map_lookup_elem(&conns, &cookie);
			if (!c)
				return; /* another close of it is under way */
			tracked = true;
		} else if (u) {
			c = nw_conn_of_untracked(sk, u);
			bpf_sk_storage_delete(&conn_untracked, (struct sock *)sk);
		} else if (!destroyed) {
			/*
			 * First seen at its close (opened before the agent and not found by its socket walk):
			 * counted as opened now, so that opened - closed stays the number open.
			 */
			c = nw_conn_scratch(sk, NW_ROLE_UNKNOWN, 0);
			if (c && oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV)
				nw_conn_opened(c);
		}
		if (!c)
			return;
	}
	nw_conn_snapshot(sk, c, bpf_ktime_get_ns());
	c->state = TCP_CLOSE;
	if (c->established)
		nw_count(c->cgroup_id, NW_CNT_CONN_CLOSE, c->role);
	nw_conn_emit(sk, c, cookie, NW_CONN_CLOSE, oldstate);
	if (tracked)
		bpf_map_delete_elem(&conns, &cookie);
}

static __always_inline void nw_state_change(const struct sock *sk, int oldstate, int newstate)
{
	struct nw_untracked *u = 0;
	struct nw_listener_key lk;
	struct nw_conn *c;
	__u64 cookie, now;

	if (!nw_sk_is_tcp(sk))
		return;

	if (newstate == TCP_LISTEN) {
		nw_listener_add(sk, true);
		return;
	}
	if (oldstate == TCP_LISTEN) {
		struct nw_listener *l;

		/*
		 * LISTEN -> SYN_RECV is a new child cloned from the listener: the connection starts
		 * at SYN_RECV -> ESTABLISHED (state.bpf.h does ask for the child's cookie here, and
		 * TcpStateIT shows it is the socket's cookie for its whole life); LISTEN -> CLOSE is
		 * the listener going away.
		 */
		if (newstate != TCP_CLOSE)
			return;
		nw_listener_key(sk, &lk);
		l = bpf_map_lookup_elem(&listeners, &lk);
		if (l && l->sk == (__u64)sk)
			bpf_map_delete_elem(&listeners, &lk);
		return;
	}
	cookie = bpf_get_socket_cookie((void *)sk);
	now = bpf_ktime_get_ns();

	if (newstate == TCP_SYN_SENT) {
		/* connect(): process context, the caller owns the socket. */
		c = nw_conn_create(sk, cookie, NW_ROLE_CLIENT, now, &u);
		if (c)
			nw_conn_current(c);
		nw_owner_set(sk);
		return;
	}
	if (newstate == TCP_ESTABLISHED) {
		if (oldstate != TCP_SYN_RECV) {
			/*
			 * tcp_finish_connect() stores ESTABLISHED before tcp_init_transfer() sets the initial
			 * cwnd (BBR still shows its handshake value, e.g. 4): with sockops attached, the open
			 * is reported from its ACTIVE_ESTABLISHED callback, right after the kernel set it.
			 */
			if (!targ_client_open_at_sockops)
				nw_client_open(sk, cookie, oldstate);
			return;
		}
		/* A server: tcp_init_transfer() already ran (tcp_rcv_state_process, SYN_RECV). */
		c = nw_conn_create(sk, cookie, NW_ROLE_SERVER, now, &u);
		if (!c) {
			if (!u)
				return;
			c = nw_conn_of_untracked(sk, u);
			if (!c)
				return;
			u->established = 1;
		}
		nw_conn_listener_owner(sk, c);
		nw_conn_backlog(sk, c);
		nw_conn_opened(c);
		nw_conn_snapshot(sk, c, now);
		c->state = newstate; /* the tracepoint fires before sk_state is stored */
		nw_conn_emit(sk, c, cookie, NW_CONN_OPEN, oldstate);
		return;
	}
	if (newstate == TCP_CLOSE) {
		nw_conn_closed(sk, cookie, oldstate, false);
		return;
	}
	if (oldstate == TCP_ESTABLISHED) {
		/* Leaving ESTABLISHED (FIN_WAIT1, CLOSE_WAIT): keep the working values from here on. */
		c = bpf_map_lookup_elem(&conns, &cookie);
		if (c) {
			nw_conn_snapshot(sk, c, now);
			c->closing = 1;
		}
	}
}

/* The socket is freed: a tracked connection still here lost its close (see the top of the file). */
static __always_inline void nw_conn_destroyed(const struct sock *sk)
{
	__u64 cookie;

	if (!nw_sk_is_tcp(sk))
		return;
	cookie = bpf_get_socket_cookie((void *)sk);
	if (!bpf_map_lookup_elem(&conns, &cookie) && !bpf_sk_storage_get(&conn_untracked, (struct sock *)sk, 0, 0))
		return;
	nw_conn_closed(sk, cookie, BPF_CORE_READ(sk, __sk_common.skc_state), true);
}

/*
 * A socket found by the socket walk (or, without one, by a received segment) that is not in the
 * conns map: opened before the agent (a server if its local port has a listener here), or
 * remembered in socket storage when the map was full (tracked now if there is room).
 */
static __always_inline struct nw_conn *nw_conn_adopt(const struct sock *sk, __u64 cookie, __u8 state)
{
	struct nw_untracked *u = bpf_sk_storage_get(&conn_untracked, (struct sock *)sk, 0, 0);
	struct nw_listener_key lk;
	struct nw_conn *c;
	bool established = state != TCP_SYN_SENT && state != TCP_SYN_RECV;
	__u8 role;

	if (u) {
		c = nw_conn_of_untracked(sk, u);
		/* Inserted first, then taken: a close or open that finds the storage taken finds the entry. */
		if (c && bpf_map_update_elem(&conns, &cookie, c, BPF_NOEXIST) == 0) {
			if (!nw_untracked_take(u)) {
				bpf_map_delete_elem(&conns, &cookie); /* closing (or opening) elsewhere: next walk */
				return 0;
			}
			c = bpf_map_lookup_elem(&conns, &cookie);
			if (c && u->established) /* opened (and counted) since it was copied */
				c->established = 1;
			bpf_sk_storage_delete(&conn_untracked, (struct sock *)sk);
			return c;
		}
	} else {
		nw_listener_key(sk, &lk);
		role = bpf_map_lookup_elem(&listeners, &lk) ? NW_ROLE_SERVER : NW_ROLE_UNKNOWN;
		c = nw_conn_create(sk, cookie, role, 0, &u);
		if (c) {
			if (role == NW_ROLE_SERVER)
				nw_conn_backlog(sk, c);
			return c;
		}
	}
	/* Still no room: counted as opened in its socket storage. */
	if (u && established && !u->established && nw_untracked_take(u)) {
		if (!u->established) {
			u->established = 1;
			nw_count(u->cgroup_id, NW_CNT_CONN_OPEN, u->role);
		}
		u->taken = 0;
	}
	return 0;
}

/* One connection listed in conn_gc: its socket is gone, so it closed. */
static long nw_conn_gc_one(struct bpf_map *map, __u64 *cookie, __u8 *unused, void *ctx)
{
	struct nw_conn_event *e;
	struct nw_conn *c = bpf_map_lookup_elem(&conns, cookie);
	__u8 oldstate;

	if (!c)
		return 0;
	oldstate = c->state;
	c->state = TCP_CLOSE;
	if (c->established)
		nw_count(c->cgroup_id, NW_CNT_CONN_CLOSE, c->role);
	if (nw_ports_match(c->t.sport, c->t.dport) && nw_uid_match(c->uid)) {
		e = nw_reserve(sizeof(*e));
		if (e) {
			__builtin_memset(e, 0, sizeof(e->h) + 8);
			nw_fill_hdr(&e->h, NW_EV_CONN, *cookie, c->cgroup_id);
			e->h.pid = c->pid;
			e->h.t = c->t;
			e->event = NW_CONN_CLOSE;
			e->oldstate = oldstate;
			bpf_probe_read_kernel(&e->c, sizeof(e->c), c);
			nw_submit(e);
		}
	}
	bpf_map_delete_elem(&conns, cookie);
	return 0;
}

/* At the end of each socket walk: the connections the agent found gone. */
static __always_inline void nw_conn_gc(void)
{
	bpf_for_each_map_elem(&conn_gc, nw_conn_gc_one, 0, 0);
}

/*
 * The agent's periodic walk over every TCP socket (iter/tcp, process context, socket locked):
 * refresh the snapshot of each tracked connection exactly as ss would read it, and learn the
 * listeners and connections that existed before the agent started.
 */
static __always_inline void nw_conn_iter(struct sock *sk, __u64 cookie)
{
	struct nw_conn *c;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

	if (state == TCP_LISTEN) {
		nw_listener_add(sk, false);
		return;
	}
	if (state == TCP_CLOSE)
		return;
	c = bpf_map_lookup_elem(&conns, &cookie);
	if (!c && state != TCP_SYN_RECV)
		c = nw_conn_adopt(sk, cookie, state);
	if (!c)
		return;
	nw_conn_snapshot(sk, c, bpf_ktime_get_ns());
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV && !c->established) {
		/* Found established: older than the agent, or its open was not seen (then report it now). */
		nw_conn_opened(c);
		if (c->start_ns)
			nw_conn_emit(sk, c, cookie, NW_CONN_OPEN, TCP_SYN_SENT);
	}
}

/* The process holding a socket, as the walk over processes' files found it. */
struct nw_owner_seed {
	__u64 ino;               /* the socket's inode number (the file's): the socket, not only its address */
	__u32 pid;
	__u32 uid;
	__u8 comm[NW_COMM_LEN];
};

/*
 * Owners the walk over processes' files found, by socket address, until the walk over the sockets
 * of the socket's namespace (it_tcp_owner) puts them into the socket's storage. A seed applies only
 * to the socket of its inode: a socket freed before its walk (or never walked: not in a TCP table)
 * leaves a seed that a later socket at the same address does not take, and that the next file walk
 * replaces. LRU, sized by the agent like conns: seeds left behind are evicted in time.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u64);
	__type(value, struct nw_owner_seed);
} owner_seeds SEC(".maps");

/*
 * The agent's walk over every process's open files (iter/task_file), run at start-up and when
 * connections without an owner appear: a socket older than the agent (a listener, or a
 * connection that has not sent or received since) belongs to the process holding it, as
 * `ss -p` reports. Only sockets with no owner yet are given one.
 *
 * The socket reached from a file is not a trusted pointer (v6.18 stable kernels refuse it to
 * bpf_get_socket_cookie and bpf_sk_storage_get): its fields are read, its cookie is the one the
 * kernel stored when a program first asked for it (0: never asked, so not a tracked connection),
 * and its owner waits in owner_seeds for nw_owner_seed.
 */
static __always_inline void nw_owner_walk(struct task_struct *task, struct file *file)
{
	struct nw_listener_key lk;
	struct nw_owner_seed seed = {}, *s;
	struct nw_listener *l;
	struct socket *sock;
	struct nw_conn *c;
	struct sock *sk;
	__u64 cookie, key;
	__u32 pid, uid;

	sock = bpf_sock_from_file(file);
	if (!sock)
		return;
	sk = sock->sk;
	if (!sk || !nw_sk_is_tcp(sk))
		return;
	pid = task->tgid;
	uid = BPF_CORE_READ(task, cred, uid.val);
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN) {
		nw_listener_key(sk, &lk);
		l = bpf_map_lookup_elem(&listeners, &lk);
		if (l && !l->pid && l->sk == (__u64)sk) {
			l->pid = pid;
			l->uid = uid;
			bpf_probe_read_kernel_str(l->comm, sizeof(l->comm), task->comm);
		}
	} else {
		cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		c = cookie ? bpf_map_lookup_elem(&conns, &cookie) : NULL;
		if (c && !c->pid) {
			c->pid = pid;
			c->uid = uid;
			bpf_probe_read_kernel_str(c->comm, sizeof(c->comm), task->comm);
		}
	}
	seed.ino = BPF_CORE_READ(file, f_inode, i_ino);
	key = (__u64)sk;
	s = bpf_map_lookup_elem(&owner_seeds, &key);
	if (s && s->ino == seed.ino)
		return; /* the first holder found keeps it (a socket shared after fork) */
	seed.pid = pid;
	seed.uid = uid;
	bpf_probe_read_kernel_str(seed.comm, sizeof(seed.comm), task->comm);
	bpf_map_update_elem(&owner_seeds, &key, &seed, BPF_ANY); /* replaces another socket's, left behind */
}

/* The walk over a namespace's sockets after nw_owner_walk: a found owner into the socket's storage. */
static __always_inline void nw_owner_seed(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct nw_owner_seed *seed;
	struct nw_owner *o;
	__u64 ino;

	seed = bpf_map_lookup_elem(&owner_seeds, &key);
	if (!seed)
		return;
	ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	if (!ino || ino != seed->ino) {
		bpf_map_delete_elem(&owner_seeds, &key); /* another socket's seed, or no file any more */
		return;
	}
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o && !o->pid) {
		o->pid = seed->pid;
		o->uid = seed->uid;
		__builtin_memcpy(o->comm, seed->comm, sizeof(o->comm));
	}
	bpf_map_delete_elem(&owner_seeds, &key);
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
		c = nw_conn_adopt(sk, cookie, TCP_ESTABLISHED);
		if (!c)
			return;
		nw_conn_opened(c);
	} else if (now - c->update_ns < targ_cfg.snapshot_ns) {
		return;
	}
	nw_conn_snapshot(sk, c, now);
}

#endif /* NW_CONN_BPF_H */
