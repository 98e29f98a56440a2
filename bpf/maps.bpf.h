/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The maps the agent reads or writes (each has a typed view in io.netwatcher.kernel: the
 * ring buffer, conns, conn_gc, listeners, hists, connect_hists, counters, connect_counts, icmp_counters, dns_counters,
 * dns_hists, stats, control) and those every
 * probe group shares (owners, budget), with the helpers that update them. Maps private to one
 * group live in that group's header (packet.bpf.h, conn.bpf.h).
 */
#ifndef NW_MAPS_BPF_H
#define NW_MAPS_BPF_H

#include "config.bpf.h"

/* Ring buffer of every event record; size set by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/*
 * Per-socket state: the process that last sent or received on a socket (its owner, for servers and
 * flows), and when the socket entered its current TCP state (state.bpf.h).
 */
struct nw_owner {
	__u32 pid;
	__u32 uid;
	__u8 comm[NW_COMM_LEN];
	__u64 state_ns;          /* CLOCK_MONOTONIC ns of the last state transition seen; 0 = none seen */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nw_owner);
} owners SEC(".maps");

/*
 * Connections by socket cookie. A plain hash, not LRU: an LRU map evicts silently, and an evicted
 * connection later closes as one never seen. When it is full, the insert fails and is counted
 * (NW_STAT_CONN_FULL), and the connection is kept in socket storage instead (conn.bpf.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u64);
	__type(value, struct nw_conn);
} conns SEC(".maps");

/*
 * Connections whose socket is gone without a close: the agent's socket walk no longer finds them
 * (both the close and the destruction of the socket were missed). The agent lists them here;
 * the next walk reports their close and forgets them (nw_conn_gc).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} conn_gc SEC(".maps");

/* Listening sockets by (netns inode, port): owner and the socket for its backlog. */
struct nw_listener_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct nw_listener {
	__u64 sk;
	__u64 cgroup_id;
	__u32 pid;
	__u32 uid;
	__u8 comm[NW_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_listener_key);
	__type(value, struct nw_listener);
} listeners SEC(".maps");

/* Layer histograms per cgroup, direction and transport (hist.bpf.h); a full map is counted (NW_STAT_HIST_FULL). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nw_hist_key);
	__type(value, struct nw_hists);
} hists SEC(".maps");

/*
 * Connect latency (a client's SYN_SENT -> ESTABLISHED) per cgroup: log2 slots of ns (state.bpf.h); a
 * full map is counted (NW_STAT_HIST_FULL).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct nw_hist);
} connect_hists SEC(".maps");

/* Event counts per cgroup, kind and detail (nw_count); a full map is counted (NW_STAT_COUNTERS_FULL). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nw_counter_key);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * connect() calls per cgroup, local address, destination address and port (connects.bpf.h). A
 * plain hash: the agent deletes the entries that stayed idle; a full map is counted
 * (NW_STAT_CONNECTS_FULL).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nw_connect_key);
	__type(value, __u64);
} connect_counts SEC(".maps");

/*
 * ICMP messages per cgroup (or network namespace when the kernel itself sent or received them),
 * kind, family, type and code (icmp.bpf.h). LRU: the entries of a namespace that is gone are
 * evicted first when it fills; a cgroup's entries are deleted by the agent with its series.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_icmp_key);
	__type(value, __u64);
} icmp_counters SEC(".maps");

/*
 * DNS queries, responses by code, timeouts and unmatched responses per cgroup, family and transport
 * (dns.bpf.h). LRU like icmp_counters; a cgroup's entries are deleted by the agent with its series.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nw_dns_key);
	__type(value, __u64);
} dns_counters SEC(".maps");

/* DNS latency (query sent -> response received) per cgroup: log2 slots of ns (dns.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct nw_hist);
} dns_hists SEC(".maps");

/* The probes' own statistics (enum nw_stat), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Run-time control written by the agent (its CPU budget sets time_every). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nw_control);
} control SEC(".maps");

/* Per-second event budget shared by all CPUs. */
struct nw_budget {
	__u64 second;
	__u32 packets;
	__u32 errors;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nw_budget);
} budget SEC(".maps");

/*
 * Adds to a counter. Per-CPU values too are added to atomically: a program nested on the CPU (a
 * softirq over a process-context run, e.g. two connections closing) may add to the same value
 * between a plain load and store, and one of the two additions would be lost.
 */
static __always_inline void nw_add(__u64 *v, __u64 n)
{
	__sync_fetch_and_add(v, n);
}

static __always_inline void nw_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		nw_add(v, 1);
}

/*
 * The value of `key` in a hash map, created from `init` on first use; NULL (counted as statistic
 * `full`) when the map has no room for it. A concurrent insert of the same key is found by the
 * second lookup.
 */
static __always_inline void *nw_lookup_or_init(void *map, const void *key, const void *init, __u32 full)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		nw_stat(full);
	return v;
}

/* Per-CPU values: plain increments (a rare nested program on the same CPU may lose one). */
static __always_inline void nw_count_n(__u64 cgroup_id, __u16 kind, __u32 detail, __u64 n)
{
	struct nw_counter_key k = { .cgroup_id = cgroup_id, .kind = kind, .detail = detail };
	const __u64 zero = 0;
	__u64 *v = nw_lookup_or_init(&counters, &k, &zero, NW_STAT_COUNTERS_FULL);

	if (v)
		nw_add(v, n);
}

static __always_inline void nw_count(__u64 cgroup_id, __u16 kind, __u32 detail)
{
	nw_count_n(cgroup_id, kind, detail, 1);
}

#endif /* NW_MAPS_BPF_H */
