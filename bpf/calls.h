/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel function call counts (--count-calls, the skb_clone lab and bcc funccount): layouts
 * shared by calls.bpf.c and the agent (io.netwatcher.calls.CallLayouts mirrors them; a test
 * checks the offsets against the compiled object's BTF).
 */
#ifndef NW_CALLS_H
#define NW_CALLS_H

/* Functions one agent counts (CallsConfig.MAX_FUNCTIONS): the attach cookie is the function's index in --count-calls. */
#define NW_CALLS_MAX_FUNCS 32
/* Default entries of call_counts (the agent sets the size before load). */
#define NW_CALLS_MAX_ENTRIES 16384
#define NW_COMM_LEN 16

/* One counter: a process (its thread group) in a cgroup calling one function. */
struct nw_call_key {
	__u64 cgroup_id;	/* cgroup v2 id of the current task (the interrupted one in softirq) */
	__u32 tgid;		/* process id (thread group); 0 for the idle task */
	__u32 func;		/* index of the function in --count-calls (the attach cookie) */
	char comm[NW_COMM_LEN];	/* the process's command name (its thread group leader's) */
};

/* Value: calls (__u64), one per CPU (BPF_MAP_TYPE_PERCPU_HASH); summed by the agent. */

/* Indexes of call_stats (per-CPU __u64 counters). */
enum nw_calls_stat {
	NW_CALLS_STAT_FULL = 0,	/* calls not counted: call_counts full (a new key refused) */
	NW_CALLS_STAT_MAX = 1,
};

#endif
