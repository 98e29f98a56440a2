/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer histograms: log2 slots of nanoseconds per cgroup, direction and layer (struct nw_hists in
 * the hists map), created on first use; nw_hist_add puts one value into any struct nw_hist.
 */
#ifndef NW_HIST_BPF_H
#define NW_HIST_BPF_H

#include "maps.bpf.h"

static const struct nw_hists zero_hists;

static __always_inline __u32 nw_log2(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xFFFFFFFFULL) << 5; v >>= r;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* The histograms of one cgroup, direction and transport (IPPROTO_TCP, IPPROTO_UDP), created on first use. */
static __always_inline struct nw_hists *nw_hists_get_proto(__u64 cgroup_id, __u8 dir, __u8 protocol)
{
	struct nw_hist_key k = { .cgroup_id = cgroup_id, .direction = dir, .protocol = protocol };

	return nw_lookup_or_init(&hists, &k, &zero_hists, NW_STAT_HIST_FULL);
}

/* The TCP histograms of one cgroup and direction. */
static __always_inline struct nw_hists *nw_hists_get(__u64 cgroup_id, __u8 dir)
{
	return nw_hists_get_proto(cgroup_id, dir, IPPROTO_TCP);
}

/* One value into one histogram. Per-CPU values: plain increments (a rare nested program on the same
 * CPU may lose one). */
static __always_inline void nw_hist_add(struct nw_hist *l, __u64 delta_ns)
{
	__u32 slot = nw_log2(delta_ns);

	if (slot >= NW_HIST_SLOTS)
		slot = NW_HIST_SLOTS - 1;
	l->count += 1;
	l->sum_ns += delta_ns;
	l->slots[NW_IDX(slot, NW_HIST_SLOTS)] += 1;
}

static __always_inline void nw_hist_put(struct nw_hists *h, __u32 layer, __u64 delta_ns)
{
	if (layer >= NW_HIST_LAYERS)
		return;
	nw_hist_add(&h->layer[layer], delta_ns);
}

/* Layer i = s[i+1] - s[i] for i in [from, to) when both are present. */
static __always_inline void nw_hist_layers(struct nw_hists *h, const __u64 *s, int from, int to)
{
	int i;

#pragma unroll
	for (i = 0; i < NW_MAX_STAMPS - 1; i++) {
		if (i < from || i >= to)
			continue;
		if (s[i] && s[i + 1] && s[i + 1] >= s[i])
			nw_hist_put(h, i, s[i + 1] - s[i]);
	}
}

/* First present boundary to last present boundary among s[0..n). */
static __always_inline void nw_hist_total(struct nw_hists *h, const __u64 *s, int n)
{
	__u64 first = 0, last = 0;
	int i;

#pragma unroll
	for (i = 0; i < NW_MAX_STAMPS; i++) {
		if (i >= n)
			break;
		if (!first)
			first = s[i];
		if (s[i])
			last = s[i];
	}
	if (first && last > first)
		nw_hist_put(h, NW_LAYER_TOTAL, last - first);
}

#endif /* NW_HIST_BPF_H */
