// SPDX-License-Identifier: GPL-2.0
/*
 * sluice_drop: drop every packet in XDP, the kernel's limit for a receive path. The perf harness attaches it with
 * `ip link set dev IF xdpdrv obj sluice_drop.o sec xdp.frags` and reads what it dropped from the interface's own XDP
 * counters (veth: ethtool -S, rx_queue_N_xdp_drops), so the program keeps no map and costs nothing but the call.
 * It is xdp.frags (BPF_F_XDP_HAS_FRAGS) so that it also attaches at a jumbo MTU: veth refuses a program that does
 * not take multi-buffer packets once the MTU is over a page.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int sluice_drop(struct xdp_md *ctx)
{
    return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
