/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Netfilter time per hook. Two backings fill the same histograms:
 *
 * - BPF netfilter links (v6.4+: 84601d6ee68a "bpf: add bpf_link support for BPF_NETFILTER programs").
 *   The agent links nf_first at the first priority the kernel allows (NF_IP_PRI_FIRST + 1) and
 *   nf_last at the last (NF_IP_PRI_LAST - 1) of every IPv4 and IPv6 hook, in each network
 *   namespace: what runs in between (iptables/nftables chains, conntrack, NAT) is the hook's time.
 * - Older kernels: fentry and fexit on nf_hook_slow, which runs a hook's entries when it has any
 *   (nf_hook() skips it for a hook with none, whose time is nil): one attachment for every
 *   namespace. Its time also holds the loop over the entries, a few ns more than the links see.
 *
 * The entry stamps the packet in a per-CPU slot of its hook; the exit adds the time since to the
 * histogram of (socket cgroup, namespace, family, hook) when the slot still holds this packet and
 * the hook accepted it (a link's nf_last only sees accepted packets; a packet dropped, stolen or
 * queued in between frees its slot under fexit, and under the links leaves it to be overwritten).
 * An exit that finds another packet in the slot (a packet nested on the CPU, a task preempted or
 * moved between the two) counts NW_STAT_NF_UNMATCHED and adds nothing.
 */
#ifndef NW_NETFILTER_BPF_H
#define NW_NETFILTER_BPF_H

#include "hist.bpf.h"
#include "errors.bpf.h"

#define NW_NF_ACCEPT 1
#define NW_NFPROTO_IPV4 2
#define NW_NFPROTO_IPV6 10

/* A packet entering one hook on one CPU. */
struct nw_nf_stamp {
	__u64 skb;               /* the packet's sk_buff address; 0 = free */
	__u64 ts_ns;             /* CLOCK_MONOTONIC ns at the first priority */
};

/* One slot per family and hook (IPv4 hooks 0..4, IPv6 5..9), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * NW_NF_HOOKS);
	__type(key, __u32);
	__type(value, struct nw_nf_stamp);
} nf_stamps SEC(".maps");

/*
 * Time per hook: log2 slots of ns per (cgroup, netns, family, hook). LRU: the entries of namespaces
 * and cgroups that are gone are evicted first when it fills.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_nf_key);
	__type(value, struct nw_hist);
} nf_hists SEC(".maps");

static const struct nw_hist zero_nf_hist;

/* The slot of this hook on this CPU; NULL for a family or hook the agent does not link. */
static __always_inline struct nw_nf_stamp *nw_nf_slot(const struct nf_hook_state *state)
{
	__u32 hook = state->hook;
	__u32 idx;

	if (hook >= NW_NF_HOOKS)
		return NULL;
	if (state->pf == NW_NFPROTO_IPV4)
		idx = hook;
	else if (state->pf == NW_NFPROTO_IPV6)
		idx = NW_NF_HOOKS + hook;
	else
		return NULL;
	return bpf_map_lookup_elem(&nf_stamps, &idx);
}

static __always_inline void nw_nf_enter(const struct sk_buff *skb, const struct nf_hook_state *state)
{
	struct nw_nf_stamp *s = nw_nf_slot(state);

	if (!s)
		return;
	s->skb = (__u64)skb;
	s->ts_ns = bpf_ktime_get_ns();
}

/* accepted: the hook let the packet on (else its slot is only freed: the packet may be gone). */
static __always_inline void nw_nf_leave(const struct sk_buff *skb, const struct nf_hook_state *state,
					bool accepted)
{
	struct nw_nf_stamp *s = nw_nf_slot(state);
	struct nw_nf_key k = {};
	struct nw_hist *h;
	struct sock *sk;
	__u64 now, start;

	if (!s)
		return;
	if (s->skb != (__u64)skb || !s->ts_ns) {
		nw_stat(NW_STAT_NF_UNMATCHED);
		return;
	}
	start = s->ts_ns;
	s->skb = 0;
	if (!accepted)
		return;
	now = bpf_ktime_get_ns();
	if (now < start)
		return;
	sk = skb->sk;
	if (sk && nw_sk_fullsock(sk))
		k.cgroup_id = nw_sk_cgroup_id(sk);
	k.netns = state->net->ns.inum;
	k.family = state->pf;
	k.hook = state->hook;
	h = nw_lookup_or_init(&nf_hists, &k, &zero_nf_hist, NW_STAT_HIST_FULL);
	if (h)
		nw_hist_add(h, now - start);
}

#endif /* NW_NETFILTER_BPF_H */
