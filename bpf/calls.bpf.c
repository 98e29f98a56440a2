// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel function call counts per process and cgroup (--count-calls skb_clone,...), like bcc's
 * funccount and the skb_clone lab. A separate object, loaded only when calls are counted: one
 * kprobe program, attached once per requested function with the function's index as its
 * attach cookie (bpf_get_attach_cookie, v5.15+), so N functions are N links of one program.
 * Where kprobes are missing (or with --prefer-hook fentry), a fentry program instead: its target
 * is fixed at load, so the agent loads this object once per function (the function's index in
 * targ_func), every copy using the first one's maps.
 * Not in netwatcher.bpf.o: the default probe set never loads it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "calls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Counters per (cgroup, process, function, comm); bounded: a new key is refused when full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NW_CALLS_MAX_ENTRIES);
	__type(key, struct nw_call_key);
	__type(value, __u64);
} call_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NW_CALLS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} call_stats SEC(".maps");

static __always_inline void count_call(__u32 func)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct nw_call_key key = {};
	__u64 one = 1;
	__u64 *n;

	key.cgroup_id = bpf_get_current_cgroup_id();
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.func = func;
	BPF_CORE_READ_STR_INTO(&key.comm, task, group_leader, comm);
	n = bpf_map_lookup_elem(&call_counts, &key);
	if (n) {
		*n += 1; /* this CPU's slot */
		return;
	}
	long err = bpf_map_update_elem(&call_counts, &key, &one, BPF_NOEXIST);
	if (err == -17 /* EEXIST: another CPU inserted it first */) {
		n = bpf_map_lookup_elem(&call_counts, &key);
		if (n)
			*n += 1;
	} else if (err) {
		__u32 idx = NW_CALLS_STAT_FULL;
		__u64 *full = bpf_map_lookup_elem(&call_stats, &idx);
		if (full)
			*full += 1;
	}
}

SEC("kprobe")
int BPF_KPROBE(kp_count_call)
{
	__u64 func = bpf_get_attach_cookie(ctx);

	if (func < NW_CALLS_MAX_FUNCS) /* always: the agent attaches with indexes below it */
		count_call((__u32)func);
	return 0;
}

/* The function's index in the fentry copy of the object loaded for it. */
const volatile __u32 targ_func = 0;

SEC("fentry")
int BPF_PROG(fe_count_call)
{
	if (targ_func < NW_CALLS_MAX_FUNCS) /* always: the agent sets indexes below it */
		count_call(targ_func);
	return 0;
}

/* Keeps the enum in BTF for the agent's check (CallLayoutsTest); clang drops unused enum types. */
struct nw_calls_btf_types {
	enum nw_calls_stat stat;
};

const struct nw_calls_btf_types *nw_calls_btf_types __attribute__((unused));
