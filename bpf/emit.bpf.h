/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events: a record reserved in the ring buffer (a reservation that fails is counted), its
 * common header, the per-second event budget, and the submit that wakes the reader only when the
 * ring crosses its fill mark.
 */
#ifndef NW_EMIT_BPF_H
#define NW_EMIT_BPF_H

#include "maps.bpf.h"

/* Take one event from this second's budget; false (and counted) when it is spent. */
static __always_inline bool nw_budget_take(bool packet)
{
	__u32 cap = packet ? targ_cfg.max_events_per_sec : targ_cfg.max_errors_per_sec;
	__u32 zero = 0, used;
	struct nw_budget *b;
	__u64 sec;

	if (cap == 0)
		return true;
	b = bpf_map_lookup_elem(&budget, &zero);
	if (!b)
		return true;
	sec = bpf_ktime_get_ns() / 1000000000ULL;
	if (b->second != sec) {
		/* Racy reset across CPUs: at worst a few extra events in a new second. */
		b->second = sec;
		b->packets = 0;
		b->errors = 0;
	}
	if (packet)
		used = __sync_fetch_and_add(&b->packets, 1);
	else
		used = __sync_fetch_and_add(&b->errors, 1);
	if (used < cap)
		return true;
	nw_stat(packet ? NW_STAT_SAMPLE_CAPPED : NW_STAT_ERR_CAPPED);
	return false;
}

static __always_inline void *nw_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		nw_stat(NW_STAT_RINGBUF_LOST);
	return e;
}

/*
 * Commit an event without waking the reader (a wake-up costs microseconds per event); the agent
 * reads every 100 ms, and is woken at once when the ring fills past an eighth: by the record that
 * crosses that mark (the fill before it, less this record, was below it), not by every record after
 * it. Reservations racing on other CPUs can carry the fill across the mark between a record's
 * reserve and this check, so a crossing may wake no one: the 100 ms timer bounds that.
 */
static __always_inline void nw_submit_sized(void *e, __u64 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 mark = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 8;
	__u64 rec = (size + 8 + 7) & ~7ULL; /* with its header, 8-byte aligned */

	if (avail > mark && avail <= mark + rec) {
		nw_stat(NW_STAT_RB_WAKEUP);
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		return;
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

#define nw_submit(e) nw_submit_sized((e), sizeof(*(e)))

static __always_inline void nw_fill_hdr(struct nw_event_hdr *h, __u16 type, __u64 cookie, __u64 cgroup_id)
{
	h->type = type;
	h->flags = 0;
	h->pid = 0;
	h->ts_ns = bpf_ktime_get_ns();
	h->cookie = cookie;
	h->cgroup_id = cgroup_id;
}

#endif /* NW_EMIT_BPF_H */
