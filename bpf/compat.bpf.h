/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel differences, in one place (CO-RE only; never gated on a version number).
 */
#ifndef NW_COMPAT_BPF_H
#define NW_COMPAT_BPF_H

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

static __always_inline __u16 nw_sk_protocol_probe(const struct sock *sk)
{
	if (bpf_core_field_size(sk->sk_protocol) == 2)
		return BPF_CORE_READ(sk, sk_protocol);
	return BPF_CORE_READ_BITFIELD_PROBED((struct sock___old_proto *)sk, sk_protocol);
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

static __always_inline __u64 nw_sk_cgroup_id_probe(const struct sock *sk)
{
	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
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
