/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which packets are timed (1 in control.time_every, picked at a packet's first hook) and which of
 * those are reported as events (1 in targ_cfg.sample_every, within the event budget).
 */
#ifndef NW_SAMPLE_BPF_H
#define NW_SAMPLE_BPF_H

#include "maps.bpf.h"

/*
 * Time this packet? Decided once, at the first hook a packet meets (RX: the driver boundary,
 * TX: the send boundary): 1 in control.time_every, with random gaps of that mean so periodic
 * traffic cannot alias with the sampling. Later hooks follow only the packets picked here, so
 * every other packet leaves them at their first instructions. `skip` is this CPU's countdown.
 */
static __always_inline bool nw_pick(__u32 *skip)
{
	__u32 zero = 0, every;
	struct nw_control *ctl = bpf_map_lookup_elem(&control, &zero);

	every = ctl ? ctl->time_every : 0;
	if (every <= 1)
		return every == 1;
	if (*skip >= 2 * every - 1) /* drawn under a sparser sampling: draw again */
		*skip = bpf_get_prandom_u32() % (2 * every - 1);
	if (*skip) {
		*skip -= 1;
		return false;
	}
	*skip = bpf_get_prandom_u32() % (2 * every - 1);
	return true;
}

/*
 * Sample this packet for an event? One in sample_every, and not when this second's event
 * budget is already spent (a plain read: the budget is only taken when an event is emitted).
 */
static __always_inline bool nw_sample(__u64 now)
{
	__u32 n = targ_cfg.sample_every, cap = targ_cfg.max_events_per_sec, zero = 0;
	struct nw_budget *b;

	if (n == 0)
		return false;
	if (n > 1 && bpf_get_prandom_u32() % n != 0)
		return false;
	if (cap == 0)
		return true;
	b = bpf_map_lookup_elem(&budget, &zero);
	return !b || b->second != now / 1000000000ULL || b->packets < cap;
}

#endif /* NW_SAMPLE_BPF_H */
