/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The common ground of every probe group: the kernel and libbpf headers, the shared layouts
 * (netwatcher.h), the kernel differences (compat.bpf.h), a few kernel constants, and the
 * load-time configuration the agent writes before load with the port and owner filters it holds.
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

/* Whether a port filter is set: --sport or --dport (rodata, so the verifier prunes the checks when not). */
static __always_inline bool nw_port_filter(void)
{
	return targ_cfg.filter_sport[0] || targ_cfg.filter_dport[0];
}

/* Whether `port` is in a 0-terminated list of NW_PORTS_MAX ports; an empty list takes every port. */
static __always_inline bool nw_port_in(const volatile __u16 *list, __u16 port)
{
	int i;

	if (!list[0])
		return true;
#pragma unroll
	for (i = 0; i < NW_PORTS_MAX; i++) {
		if (!list[i])
			return false;
		if (list[i] == port)
			return true;
	}
	return false;
}

/* Port filter, from the socket's point of view: sport local, dport remote. */
static __always_inline bool nw_ports_match(__u16 local, __u16 remote)
{
	if (!nw_port_filter())
		return true;
	return nw_port_in(targ_cfg.filter_sport, local) && nw_port_in(targ_cfg.filter_dport, remote);
}

/* Owner filter (--uid): whether a socket owned by `uid` is kept. */
static __always_inline bool nw_uid_match(__u32 uid)
{
	return !targ_cfg.filter_uid || uid == targ_cfg.filter_uid - 1;
}

#endif /* NW_CONFIG_BPF_H */
