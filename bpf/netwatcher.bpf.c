// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netwatcher probes. Every SEC() program is a shim of a few lines over a handler
 * in packet/conn/state/errors.bpf.h. Boundaries have twins: a tracepoint program
 * (tp_btf, what runs on recent kernels) and, where the seeds hooked a function,
 * fentry and kprobe programs. The agent enables one backing per boundary
 * (bpf_program__set_autoload) after probing what the running kernel allows.
 *
 * Program names are part of the agent's contract (io.netwatcher.probe.Boundary); the twins
 * for tracepoints whose arguments grew are listed in compat.bpf.h.
 */
#include "packet.bpf.h"
#include "udp.bpf.h"
#include "conn.bpf.h"
#include "connects.bpf.h"
#include "errors.bpf.h"
#include "icmp.bpf.h"
#include "dns.bpf.h"
#include "netfilter.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ==== RX: driver -> stack ================================================= */

SEC("tp_btf/netif_rx")
int BPF_PROG(tp_netif_rx, struct sk_buff *skb)
{
	nw_rx_driver(skb);
	return 0;
}

SEC("tp_btf/napi_gro_receive_entry")
int BPF_PROG(tp_napi_gro_receive_entry, const struct sk_buff *skb)
{
	nw_rx_driver(skb);
	return 0;
}

SEC("tp_btf/netif_receive_skb_entry")
int BPF_PROG(tp_netif_receive_skb_entry, const struct sk_buff *skb)
{
	nw_rx_driver(skb);
	return 0;
}

SEC("tp_btf/napi_gro_frags_entry")
int BPF_PROG(tp_napi_gro_frags_entry, const struct sk_buff *skb)
{
	nw_rx_driver(skb);
	return 0;
}

SEC("tp_btf/netif_receive_skb_list_entry")
int BPF_PROG(tp_netif_receive_skb_list_entry, const struct sk_buff *skb)
{
	nw_rx_driver(skb);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tp_netif_receive_skb, struct sk_buff *skb)
{
	nw_rx_stack(skb);
	if (targ_icmp)
		nw_icmp_rx(skb); /* icmp.rx: a protocol check for every other packet */
	return 0;
}

/* ==== RX: transport entry ================================================ */

/*
 * DNS responses (dns.bpf.h) as a global function: verified once on its own, so cg_ingress's own
 * verification does not grow; a cgroup_skb context is a global function argument on every
 * kernel with cgroup_skb programs that can use bpf_cast_to_kern_ctx.
 */
__noinline int nw_dns_ingress_global(struct __sk_buff *ctx)
{
	nw_dns_skb(ctx, false, false);
	return 0;
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *ctx)
{
	if (bpf_cast_to_kern_ctx)
		nw_rx_transport_cg(ctx, (__u64)bpf_cast_to_kern_ctx(ctx));
	if (targ_dns)
		nw_dns_ingress_global(ctx); /* dns.ingress: a port check for every other packet */
	return 1; /* never drops: observation only */
}

SEC("fentry/tcp_v4_rcv")
int BPF_PROG(fe_tcp_v4_rcv, struct sk_buff *skb)
{
	nw_rx_transport_stamp((__u64)skb);
	return 0;
}

SEC("fentry/tcp_v6_rcv")
int BPF_PROG(fe_tcp_v6_rcv, struct sk_buff *skb)
{
	nw_rx_transport_stamp((__u64)skb);
	return 0;
}

SEC("kprobe/tcp_v4_rcv")
int BPF_KPROBE(kp_tcp_v4_rcv, struct sk_buff *skb)
{
	nw_rx_transport_stamp((__u64)skb);
	return 0;
}

SEC("kprobe/tcp_v6_rcv")
int BPF_KPROBE(kp_tcp_v6_rcv, struct sk_buff *skb)
{
	nw_rx_transport_stamp((__u64)skb);
	return 0;
}

/* ==== RX: TCP processed, queued, read ===================================== */

/*
 * tcp_probe parks packets when the transport boundary has no socket (fentry/kprobe backing)
 * and refreshes connection snapshots when there is no socket iterator.
 */
SEC("tp_btf/tcp_probe")
int BPF_PROG(tp_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	if (targ_cfg.conn_snapshot && nw_nest_enter()) {
		nw_conn_touch(sk, bpf_get_socket_cookie(sk));
		nw_nest_exit();
	}
	if (targ_cfg.rx_park_at_tcp)
		nw_rx_tcp(sk, skb);
	return 0;
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(tp_sk_data_ready, const struct sock *sk)
{
	struct nw_rx_fifo *f;

	if (targ_udp && nw_sk_is_udp(sk)) {
		nw_udp_queued(sk);
		return 0;
	}
	f = bpf_sk_storage_get(&rx_fifo, (struct sock *)sk, 0, 0);
	if (f)
		nw_rx_queued(sk, f);
	return 0;
}

SEC("fentry/tcp_data_ready")
int BPF_PROG(fe_tcp_data_ready, struct sock *sk)
{
	struct nw_rx_fifo *f = bpf_sk_storage_get(&rx_fifo, sk, 0, 0);

	if (f)
		nw_rx_queued(sk, f);
	return 0;
}

/* A TCP socket's recvmsg returned `ret`: finish the segments it read (and learn its owner). */
static __always_inline void nw_tcp_read(struct sock *sk, int ret)
{
	struct nw_rx_fifo *f;

	if (ret <= 0)
		return;
	nw_owner_set(sk);
	f = bpf_sk_storage_get(&rx_fifo, sk, 0, 0);
	if (f)
		nw_rx_read(sk, f, 0);
}

/*
 * The UDP read as a global function: the verifier checks it once on its own (v6.8+ takes the
 * trusted socket argument), so it adds nothing to the TCP read's verification, which leaves no
 * room for a second path inline (over a million instructions processed).
 */
__noinline int nw_udp_read_global(struct sock *sk NW_ARG_TRUSTED, int ret, int flags)
{
	nw_udp_read(sk, ret, flags);
	return 0;
}

/*
 * Every recvmsg: TCP and (targ_udp) UDP reads in one program, so a TCP read runs no second
 * program for UDP. A kernel whose verifier does not take the global function's trusted argument
 * (before v6.8) refuses it: the agent then loads tp_tcp_recv_length and tp_udp_recv_length.
 */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_sock_recv_length, struct sock *sk, int ret, int flags)
{
	if (nw_sk_is_tcp(sk))
		nw_tcp_read(sk, ret);
	else if (targ_udp && nw_sk_is_udp(sk))
		nw_udp_read_global(sk, ret, flags);
	return 0;
}

/* TCP reads only (tp_sock_recv_length refused; UDP reads then have tp_udp_recv_length). */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_tcp_recv_length, struct sock *sk, int ret, int flags)
{
	if (nw_sk_is_tcp(sk))
		nw_tcp_read(sk, ret);
	return 0;
}

/* tcp_cleanup_rbuf(sk, copied) ends every tcp_recvmsg (the seed `flow` hook). */
SEC("fentry/tcp_cleanup_rbuf")
int BPF_PROG(fe_tcp_cleanup_rbuf, struct sock *sk, int copied)
{
	struct nw_rx_fifo *f;

	if (copied <= 0)
		return 0;
	nw_owner_set(sk);
	f = bpf_sk_storage_get(&rx_fifo, sk, 0, 0);
	if (f)
		nw_rx_read(sk, f, 0);
	return 0;
}

/* ==== TX ================================================================== */

/*
 * Fired before each chunk is copied, in process context under the socket lock: the caller owns
 * the socket (for servers and flows), and a new segment starts at write_seq when the write
 * queue's tail cannot take more (no tail, or full).
 */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tp_tcp_sendmsg_locked, struct sock *sk, const struct msghdr *msg,
	     const struct sk_buff *skb, int size_goal)
{
	nw_owner_set(sk);
	if (skb && skb->len < (__u32)size_goal)
		return 0;
	nw_tx_send(sk, msg);
	return 0;
}

SEC("fentry/tcp_sendmsg")
int BPF_PROG(fe_tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size)
{
	nw_owner_set(sk);
	nw_tx_send(sk, msg);  /* fentry: one entry per sendmsg call, covering what it writes */
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(tp_net_dev_queue, struct sk_buff *skb)
{
	nw_tx_devq(skb);
	if (targ_icmp)
		nw_icmp_tx(skb); /* icmp.tx: a protocol check for every other packet */
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tp_net_dev_start_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
	nw_tx_xmit(skb);
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(tp_net_dev_xmit, struct sk_buff *skb, int rc)
{
	nw_tx_done(skb, rc);
	return 0;
}

/* ==== Connections ========================================================= */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	if (sk->__sk_common.skc_family != AF_INET && sk->__sk_common.skc_family != AF_INET6)
		return 0;
	if (nw_nest_enter()) {
		nw_state_change(sk, oldstate, newstate); /* first: connect() sets the socket's owner */
		nw_nest_exit();
	}
	nw_state_time(sk, oldstate, newstate);
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT && nw_sk_is_tcp(sk))
		nw_connect_count(sk); /* connect() */
	return 0;
}

/* A TCP socket is freed: catches a close whose state change was not seen (v4.20+). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_tcp_destroy_sock, struct sock *sk)
{
	if (nw_nest_enter()) {
		nw_conn_destroyed(sk);
		nw_nest_exit();
	}
	return 0;
}

/*
 * sockops on the cgroup2 root: the ACTIVE_ESTABLISHED callback runs in tcp_init_transfer() right
 * after the kernel set a client's initial cwnd (and cached ssthresh), so its open reports them as
 * ss does. Never sets a reply: every other callback keeps the kernel's defaults.
 */
SEC("sockops")
int so_established(struct bpf_sock_ops *ops)
{
	struct bpf_sock *bsk;
	struct tcp_sock *tp;

	if (ops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	bsk = ops->sk;
	if (!bsk)
		return 1;
	tp = bpf_skc_to_tcp_sock(bsk);
	if (tp && nw_nest_enter()) {
		nw_client_open((struct sock *)tp, bpf_get_socket_cookie(ops), TCP_SYN_SENT);
		nw_nest_exit();
	}
	return 1;
}

/*
 * Walked by the agent every interval: connection snapshots as ss sees them (v5.9+); at the end of
 * the walk (no socket), the closes of connections whose socket is gone.
 */
SEC("iter/tcp")
int it_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc) {
		nw_conn_gc(); /* the end of the walk */
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp || !nw_nest_enter())
		return 0;
	nw_conn_iter((struct sock *)tp, bpf_get_socket_cookie(tp));
	nw_nest_exit();
	return 0;
}

/* Walked by the agent at start-up: the processes holding sockets older than the agent (v5.11+). */
SEC("iter/task_file")
int it_task_file(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file)
		return 0;
	nw_owner_walk(task, file);
	return 0;
}

/* Run by the agent after it_task_file in each namespace: the owners it found into socket storage. */
SEC("iter/tcp")
int it_tcp_owner(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		nw_owner_seed((struct sock *)tp);
	return 0;
}

/* ==== Errors ============================================================== */

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tp_tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	nw_retransmit(sk, skb, bpf_get_socket_cookie((void *)sk), 0);
	return 0;
}

/* Recent kernels also pass the transmit result (a failed retransmit is not counted). */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tp_tcp_retransmit_skb_err, const struct sock *sk, const struct sk_buff *skb, int err)
{
	nw_retransmit(sk, skb, bpf_get_socket_cookie((void *)sk), err);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(tp_tcp_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	nw_retransmit_synack(sk, req, bpf_get_socket_cookie((void *)sk));
	return 0;
}

/* v6.10+ passes a NULL socket for resets sent with no socket, and a reason. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tp_tcp_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	__u64 cookie = sk ? bpf_get_socket_cookie((void *)sk) : 0;

	nw_reset_sent(sk, skb, cookie, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tp_tcp_receive_reset, struct sock *sk)
{
	nw_reset_received(sk, bpf_get_socket_cookie(sk));
	return 0;
}

SEC("tp_btf/tcp_bad_csum")
int BPF_PROG(tp_tcp_bad_csum, const struct sk_buff *skb)
{
	nw_bad_csum(skb);
	return 0;
}

/* v5.17+ (c504e5c2f964 "net: skb: introduce kfree_skb_reason()"). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	nw_tx_forget(skb);
	nw_drop(skb, (__u64)location, reason, 0);
	return 0;
}

/* v6.11+ adds the receiving socket (ba8de796baf4 "net: introduce sk_skb_reason_drop"). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb_rx_sk, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	nw_tx_forget(skb);
	nw_drop(skb, (__u64)location, reason, rx_sk);
	if (rx_sk && nw_sk_fullsock(rx_sk) && nw_sk_is_tcp(rx_sk))
		nw_rx_dropped(skb, rx_sk);
	return 0;
}

SEC("tp_btf/sock_rcvqueue_full")
int BPF_PROG(tp_sock_rcvqueue_full, struct sock *sk, struct sk_buff *skb)
{
	nw_sock_pressure(sk, NW_EV_RCVQ_FULL, NW_CNT_RCVQ_FULL, sk->sk_backlog.rmem_alloc.counter);
	return 0;
}

SEC("tp_btf/sock_exceed_buf_limit")
int BPF_PROG(tp_sock_exceed_buf_limit, struct sock *sk, struct proto *prot, long allocated, int kind)
{
	nw_sock_pressure(sk, NW_EV_BUF_LIMIT, NW_CNT_BUF_LIMIT, (__u32)allocated);
	return 0;
}

SEC("tp_btf/icmp_send")
int BPF_PROG(tp_icmp_send, const struct sk_buff *skb, int type, int code)
{
	nw_icmp_sent(skb, type, code);
	return 0;
}

/* ==== UDP (udp.bpf.h): the rest of UDP runs in the programs above, behind a protocol check ==== */

/*
 * UDP reads when tp_sock_recv_length is not loaded (its verifier refused it, or rx.read is on
 * another hook: --prefer-hook fentry): every recvmsg of a UDP socket, counted and its timed
 * datagram finished; others leave at the protocol check.
 */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_udp_recv_length, struct sock *sk, int ret, int flags)
{
	if (nw_sk_is_udp(sk))
		nw_udp_read(sk, ret, flags);
	return 0;
}

/*
 * UDP reads on kernels without the sock_recv_length tracepoint (6.1): the return of udp_recvmsg
 * and udpv6_recvmsg, in their five-argument prototype (v5.19 removed `noblock`; the agent checks
 * the count in the kernel's BTF: "name:N" in io.netwatcher.probe.Boundary).
 */
SEC("fexit/udp_recvmsg")
int BPF_PROG(fx_udp_recvmsg, struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len, int ret)
{
	nw_udp_read(sk, ret, flags);
	return 0;
}

SEC("fexit/udpv6_recvmsg")
int BPF_PROG(fx_udpv6_recvmsg, struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len,
	     int ret)
{
	nw_udp_read(sk, ret, flags);
	return 0;
}

/* ==== ICMP echo replies read (icmp.bpf.h; receive and transmit ride in tp_netif_receive_skb and tp_net_dev_queue) ==== */

SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(tp_icmp_read, const struct sk_buff *skb, int len)
{
	nw_icmp_read(skb);
	return 0;
}

/* ==== DNS (dns.bpf.h): packets of connected sockets not on port 53 leave at the port check ==== */

SEC("cgroup_skb/egress")
int cg_dns_egress(struct __sk_buff *ctx)
{
	nw_dns_skb(ctx, true, true);
	return 1; /* never drops: observation only */
}

/* Its twin where cgroup_skb programs may not ask for the current task (6.1): no pid/comm in events. */
SEC("cgroup_skb/egress")
int cg_dns_egress_notask(struct __sk_buff *ctx)
{
	nw_dns_skb(ctx, true, false);
	return 1;
}

/* DNS responses where cg_ingress is not loaded (rx.transport on fentry or kprobes: 6.1). */
SEC("cgroup_skb/ingress")
int cg_dns_ingress(struct __sk_buff *ctx)
{
	nw_dns_skb(ctx, false, false);
	return 1;
}

/*
 * Ring-buffer records are only reached through pointers, and the enums are used as plain
 * integers, so clang would leave their types out of BTF; this unused global keeps them in, for
 * the agent's layout and enum checks (LayoutTest, EnumLayoutTest). A new record or enum of
 * netwatcher.h gets a member here.
 */
struct nw_btf_types {
	struct nw_packet_event packet_event;
	struct nw_conn_event conn_event;
	struct nw_error_event error_event;
	struct nw_state_event state_event;
	enum nw_event_type event_type;
	enum nw_direction direction;
	enum nw_rx_stamp rx_stamp;
	enum nw_tx_stamp tx_stamp;
	enum nw_layer layer;
	enum nw_role role;
	enum nw_conn_kind conn_kind;
	enum nw_reset_dir reset_dir;
	enum nw_retrans_kind retrans_kind;
	enum nw_counter_kind counter_kind;
	enum nw_handshake_fail handshake_fail;
	enum nw_stat stat;
	struct nw_icmp_event icmp_event;
	struct nw_icmp_key icmp_key;
	enum nw_icmp_kind icmp_kind;
	enum nw_icmp_side icmp_side;
	struct nw_dns_event dns_event;
	struct nw_dns_key dns_key;
	struct nw_connect_key connect_key;
	enum nw_dns_kind dns_kind;
	enum nw_dns_outcome dns_outcome;
};

const struct nw_btf_types *nw_btf_types __attribute__((unused));

/* ==== Netfilter time per hook (netfilter.bpf.h; linked per namespace by the agent) ====== */

SEC("netfilter")
int nf_first(struct bpf_nf_ctx *ctx)
{
	nw_nf_enter(ctx->skb, ctx->state);
	return NW_NF_ACCEPT; /* never drops: observation only */
}

SEC("netfilter")
int nf_last(struct bpf_nf_ctx *ctx)
{
	nw_nf_leave(ctx->skb, ctx->state, true);
	return NW_NF_ACCEPT;
}

/*
 * The function backing (kernels before v6.4): nf_hook_slow(skb, state, entries, index) runs a
 * hook's entries and returns 1 when they accepted the packet (NF_DROP: a negative errno, having
 * freed it; stolen or queued: 0).
 */
SEC("fentry/nf_hook_slow")
int BPF_PROG(fe_nf_hook_slow, struct sk_buff *skb, struct nf_hook_state *state)
{
	nw_nf_enter(skb, state);
	return 0;
}

SEC("fexit/nf_hook_slow")
int BPF_PROG(fx_nf_hook_slow, struct sk_buff *skb, struct nf_hook_state *state, const void *entries,
	     unsigned int index, int ret)
{
	nw_nf_leave(skb, state, ret == NW_NF_ACCEPT);
	return 0;
}
