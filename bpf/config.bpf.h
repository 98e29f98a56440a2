/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The common ground of every probe group: the kernel and libbpf headers, the shared layouts
 * (netwatcher.h), the kernel differences (compat.bpf.h), a few kernel constants, and the
 * load-time configuration the agent writes before load with the port filter it holds.
 */
#ifndef NW_CONFIG_BPF_H
#define NW_CONFIG_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "netwatcher.h"
#include "compat.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* Load-time configuration, written by the agent before load (BPF rodata). */
const volatile struct nw_config targ_cfg = {
	.sample_every = 1,
	.max_events_per_sec = 0,
	.max_errors_per_sec = 0,
	.snapshot_ns = 100000000ULL,
	.conn_snapshot = 1,
};

/* Port filter, from the socket's point of view: sport local, dport remote. */
static __always_inline bool nw_ports_match(__u16 local, __u16 remote)
{
	if (targ_cfg.filter_sport && targ_cfg.filter_sport != local)
		return false;
	if (targ_cfg.filter_dport && targ_cfg.filter_dport != remote)
		return false;
	return true;
}

#endif /* NW_CONFIG_BPF_H */
