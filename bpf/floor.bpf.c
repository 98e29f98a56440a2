// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark floor: an empty program on every hook netwatcher uses, so bench/bpf-runtime.sh
 * can report what a program costs on this machine before it does anything (the run-time
 * statistics and the tracepoint dispatch), next to what netwatcher's programs cost, and
 * bench/overhead.sh can measure the dispatch floor (bpf_stats off) on exactly the hooks the
 * agent attaches. The per-packet hooks first, then the per-connection and error ones.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EMPTY(tp) SEC("tp_btf/" #tp) int BPF_PROG(floor_##tp) { return 0; }

EMPTY(netif_rx)
EMPTY(napi_gro_receive_entry)
EMPTY(netif_receive_skb_entry)
EMPTY(netif_receive_skb_list_entry)
EMPTY(napi_gro_frags_entry)
EMPTY(netif_receive_skb)
EMPTY(sk_data_ready)
EMPTY(sock_recv_length)
EMPTY(tcp_sendmsg_locked)
EMPTY(skb_copy_datagram_iovec)
EMPTY(net_dev_queue)
EMPTY(net_dev_start_xmit)
EMPTY(net_dev_xmit)
EMPTY(inet_sock_set_state)
EMPTY(tcp_destroy_sock)
EMPTY(tcp_retransmit_skb)
EMPTY(tcp_retransmit_synack)
EMPTY(tcp_send_reset)
EMPTY(tcp_receive_reset)
EMPTY(tcp_bad_csum)
EMPTY(kfree_skb)
EMPTY(sock_rcvqueue_full)
EMPTY(sock_exceed_buf_limit)
EMPTY(icmp_send)

SEC("cgroup_skb/ingress")
int floor_cg_ingress(struct __sk_buff *ctx)
{
	return 1;
}

SEC("cgroup_skb/egress")
int floor_cg_egress(struct __sk_buff *ctx)
{
	return 1;
}

SEC("sockops")
int floor_sockops(struct bpf_sock_ops *ctx)
{
	return 1;
}
