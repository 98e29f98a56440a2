/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel differences, in one place (CO-RE only; never gated on a version number), each with
 * the kernel change behind it. Fields, enum values and kfuncs that differ are read here.
 *
 * Tracepoint prototypes that grew are handled by program twins instead, one per prototype, the
 * agent enabling the one the running kernel's BTF can attach (io.netwatcher.probe.Boundary,
 * "name:N" = needs N arguments):
 *  - skb:kfree_skb: tp_kfree_skb (skb, location, reason: v5.17, c504e5c2f964 "net: skb: introduce
 *    kfree_skb_reason()") and tp_kfree_skb_rx_sk (+ the receiving socket: v6.11, ba8de796baf4
 *    "net: introduce sk_skb_reason_drop function");
 *  - tcp:tcp_retransmit_skb: tp_tcp_retransmit_skb (sk, skb) and tp_tcp_retransmit_skb_err (+ the
 *    transmit result, v6.10; see nw_retrans_not_counted in errors.bpf.h).
 * One program reads only the arguments every version has: tcp:tcp_send_reset (sk, skb; v6.10,
 * 19822a980e19 "trace: tcp: fully support trace_tcp_send_reset", passes a NULL socket for resets
 * sent without one, and a reason after them).
 */
#ifndef NW_COMPAT_BPF_H
#define NW_COMPAT_BPF_H

/*
 * A global function's pointer argument the verifier takes as a trusted kernel object (BTF decl
 * tag "arg:trusted", v6.8: the global function argument tags). An older
 * verifier refuses the program that calls one; the agent then loads the program's twin.
 */
#define NW_ARG_TRUSTED __attribute__((btf_decl_tag("arg:trusted")))

/*
 * The kernel's sk_buff behind a cgroup_skb program's context: v6.2 (fd264ca02094 "bpf: Add a
 * kfunc to type cast from bpf uapi ctx to kernel ctx"); NULL before (the agent then backs
 * rx.transport with fentry or kprobe programs).
 */
extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

/* tcp_sock.bytes_retrans: v4.19 (fb31c9b9f6c8 "tcp: add data bytes retransmitted stats"); 0 before. */
static __always_inline __u64 nw_bytes_retrans(const struct tcp_sock *tp)
{
	return bpf_core_field_exists(tp->bytes_retrans) ? tp->bytes_retrans : 0;
}

/*
 * Is `reason` the kernel's drop reason `name` (false on a kernel without it)? Values of enum
 * skb_drop_reason differ between kernels; names came over time, e.g. SKB_DROP_REASON_TCP_CSUM
 * with the reasons themselves (v5.17, c504e5c2f964), SKB_CONSUMED (frees that are no drop) in
 * v6.2 (0e84afe8ebfb "net: dropreason: add SKB_CONSUMED reason").
 */
#define nw_drop_reason_is(reason, name) \
	(bpf_core_enum_value_exists(enum skb_drop_reason, name) && \
	 (reason) == bpf_core_enum_value(enum skb_drop_reason, name))

/*
 * The user memory a sendmsg's iov_iter is at (its first segment), or NULL for another kind of
 * iterator or a layout this code does not read: ITER_UBUF and iov_iter.ubuf came in v6.0
 * (fcb14cb1bdac "new iov_iter flavour - ITER_UBUF"), iov_iter.iov became __iov in v6.4
 * (de4f5fed3f23 "iov_iter: add iter_iovec() helper"); both are required.
 */
static __always_inline const __u8 *nw_iter_user_base(const struct iov_iter *it)
{
	__u8 type;

	if (!bpf_core_field_exists(it->ubuf) || !bpf_core_field_exists(it->__iov))
		return 0;
	type = BPF_CORE_READ(it, iter_type);
	if (type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
		return BPF_CORE_READ(it, ubuf);
	if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		const struct iovec *iov = BPF_CORE_READ(it, __iov);

		return BPF_CORE_READ(iov, iov_base);
	}
	return 0;
}

/*
 * sk_protocol was a bitfield in struct sock until v5.6
 * (bf9765145b85 "sock: Make sk_protocol a 16-bit value"). The probed bitfield
 * read handles both layouts.
 */
struct sock___old_proto {
	unsigned int __sk_flags_offset[0];
	unsigned int sk_padding : 1,
		     sk_kern_sock : 1,
		     sk_no_check_tx : 1,
		     sk_no_check_rx : 1,
		     sk_userlocks : 4,
		     sk_protocol : 8,
		     sk_type : 16;
} __attribute__((preserve_access_index));

static __always_inline __u16 nw_sk_protocol(const struct sock *sk)
{
	if (bpf_core_field_size(sk->sk_protocol) == 2)
		return sk->sk_protocol;
	return BPF_CORE_READ_BITFIELD((struct sock___old_proto *)sk, sk_protocol);
}

/*
 * The socket's cgroup v2 id. Since v5.15 (8520e224f547 "bpf, cgroups: Fix
 * cgroup v2 fallback on v1/v2 mixed mode") sock_cgroup_data holds a plain
 * `struct cgroup *`; earlier kernels tagged a pointer in `val`, which we do not
 * decode (0 = unknown, the agent falls back to the process's cgroup).
 */
static __always_inline __u64 nw_sk_cgroup_id(const struct sock *sk)
{
	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return sk->sk_cgrp_data.cgroup->kn->id;
	return 0;
}

/* icsk_ca_state is a 5-bit field (v5.4+: "__u8 icsk_ca_state:5"). */
static __always_inline __u8 nw_ca_state(const struct inet_connection_sock *icsk)
{
	return BPF_CORE_READ_BITFIELD(icsk, icsk_ca_state);
}

/* tcp_sock.snd_cwnd: plain field on every kernel we support (accessor since v5.19). */
static __always_inline __u32 nw_snd_cwnd(const struct tcp_sock *tp)
{
	return tp->snd_cwnd;
}

/* sk_shutdown: a 2-bit field until v6.4 (e3ae2365efc1 "net: sock: add sk_shutdown
 * data-race annotations" made it u8); the probed read handles both. */
struct sock___old_shutdown {
	unsigned int sk_shutdown : 2;
} __attribute__((preserve_access_index));

static __always_inline __u8 nw_sk_shutdown(const struct sock *sk)
{
	if (bpf_core_field_size(sk->sk_shutdown) == 1)
		return sk->sk_shutdown;
	return BPF_CORE_READ_BITFIELD((struct sock___old_shutdown *)sk, sk_shutdown);
}

/*
 * An array index the verifier can bound on every kernel: v mod n (n a power of two) computed as a
 * 64-bit AND that the compiler may not drop. Older verifiers (v6.1) do not carry the bounds of a
 * 32-bit compare into the 64-bit register used for the address, and clang removes a mask it can
 * prove redundant ("math between map_value pointer and register with unbounded min value").
 */
#define NW_IDX(v, n) ({ __u64 __nw_i = (v); barrier_var(__nw_i); __nw_i & ((n) - 1); })

#endif /* NW_COMPAT_BPF_H */
