// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Feature probes: tiny programs the agent loads one at a time to learn whether the
 * running kernel lets it use fentry trampolines and kprobes, before it chooses the
 * backing of each boundary in netwatcher.bpf.o.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fentry/tcp_sendmsg")
int BPF_PROG(probe_fentry, struct sock *sk)
{
	return 0;
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(probe_kprobe, struct sock *sk)
{
	return 0;
}
