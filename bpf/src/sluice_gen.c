// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Sluice's traffic generator. User space runs it with BPF_PROG_RUN in live-frame mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES) and a repeat count over a template Ethernet/IPv4-or-IPv6/UDP frame; each run
 * stamps one copy of the template and redirects it out of the egress interface, as xdp-trafficgen does.
 *
 * Each run, every frame counted in exactly one counter:
 *   1. Frames that end before a configured offset are dropped (SLUICE_GEN_DROP_TOO_SHORT); user space checks
 *      the template first, so this is a guard, not a path.
 *   2. seq = the next sequence number. It is written at seq_offset and bpf_ktime_get_ns() (CLOCK_MONOTONIC, the
 *      clock of Java's System.nanoTime() on Linux) at ts_offset, both as little-endian __u64.
 *   3. The UDP source port becomes base + seq % port count, and the last 32 bits of the source address
 *      low + (seq / port count) % address count, so every port meets every address.
 *   4. The IPv4 header checksum, and the UDP checksum where the template has one (always for IPv6), are
 *      updated incrementally (RFC 1624, eqn. 3) from the template's checksum, ports and address.
 *   5. bpf_redirect(egress_ifindex): counted SLUICE_GEN_REDIRECTED. Whether the device then takes the frame
 *      is not visible here; veth counts refusals as tx_queue_N_xdp_xmit_errors (ethtool -S).
 *
 * Live frames keep stale bytes. The kernel copies the template into a page only when its page_pool first hands
 * the page out; a page that comes back (the frame was dropped, transmitted or consumed downstream) is reused as
 * it was left, and only the data, data_end and data_meta pointers are reset (net/bpf/test_run.c:
 * xdp_test_run_init_page() and reset_ctx(); Documentation/bpf/bpf_prog_run.rst). So every field stamped here is
 * written in full on every run, and both checksums are computed from the template's values kept in the config,
 * never from what the page holds, so no update accumulates across runs. The other template bytes are assumed to
 * come back unchanged: a downstream program that rewrites frames in place would leak into later frames.
 *
 * The sequence counter is one __u64 taken with an atomic fetch-and-add (BPF_ATOMIC | BPF_FETCH, which clang
 * emits for a __sync_fetch_and_add whose result is used; kernels since 5.12 run it). A BPF_PROG_RUN call runs on
 * one CPU at a time, but may migrate between batches when it yields, and two threads may send through one loaded
 * program at once on different CPUs: a single atomic counter keeps the numbers unique and gap-free across all of
 * them, where per-CPU counters would give each CPU its own stream. Each Java TrafficGenerator loads its own copy
 * of the program and maps, so the counter's cache line is shared only by threads that share one generator.
 */
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sluice_gen.h"

#define IPV4_SADDR_OFFSET 12       /* offsetof(struct iphdr, saddr) */
#define IPV6_SADDR_LOW_OFFSET 20   /* offsetof(struct ipv6hdr, saddr) + 12: its last 32 bits */

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sluice_gen_config);
} sluice_gen_cfg SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} sluice_gen_seq SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, SLUICE_GEN_COUNTERS);
    __type(key, __u32);
    __type(value, __u64);
} sluice_gen_stats SEC(".maps");

static __always_inline int outcome(__u32 counter, int verdict)
{
    __u64 *value = bpf_map_lookup_elem(&sluice_gen_stats, &counter);

    if (value) {
        /* per-CPU value, and BPF_PROG_RUN holds off softirqs around the program: plain increments are exact */
        (*value)++;
    }
    return verdict;
}

/* The 16-bit words of a value as they lie in memory, summed; the ones' complement sum is byte-order blind. */
static __always_inline __u32 words32(__u32 v)
{
    return (v & 0xFFFF) + (v >> 16);
}

static __always_inline __u32 words64(__u64 v)
{
    return words32((__u32)v) + words32((__u32)(v >> 32));
}

static __always_inline __u32 fold(__u32 sum)
{
    sum = (sum & 0xFFFF) + (sum >> 16);
    return (sum & 0xFFFF) + (sum >> 16);
}

/*
 * The sum of an 8-byte field's words where the field lies in the checksummed data. Its old bytes are zero (user
 * space zeroes them in the template), so only the new words count. At an odd offset every word straddles two
 * checksum words, and the sum is the byte-swapped sum of the aligned words (RFC 1071, byte-order independence).
 */
static __always_inline __u32 field_words(__u64 v, __u32 odd)
{
    __u32 sum = fold(words64(v));

    return odd ? ((sum & 0xFF) << 8) | (sum >> 8) : sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), with delta the sum of ~m + m' over the changed words. */
static __always_inline __u16 checksum_replace(__u16 check, __u32 delta)
{
    return (__u16)~fold((__u16)~check + delta);
}

static __always_inline __u64 to_le64(__u64 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

/*
 * Stamp one copy of the template, between data and data_end (see the top of this file).
 *
 * @return SLUICE_GEN_REDIRECTED if stamped, to be sent; else the counter of the drop.
 */
static __always_inline __u32 stamp(void *data, void *data_end)
{
    const struct sluice_gen_config *cfg;
    __u32 zero = 0;
    __u64 *next_seq;

    cfg = bpf_map_lookup_elem(&sluice_gen_cfg, &zero);
    next_seq = bpf_map_lookup_elem(&sluice_gen_seq, &zero);
    if (!cfg || !next_seq)
        return SLUICE_GEN_DROP_NO_CONFIG;

    const __u32 flags = cfg->flags;
    const __u32 l4_offset = cfg->l4_offset & SLUICE_GEN_OFFSET_MASK;
    const __u32 seq_offset = cfg->seq_offset & SLUICE_GEN_OFFSET_MASK;
    const __u32 ts_offset = cfg->ts_offset & SLUICE_GEN_OFFSET_MASK;
    __u8 *l3 = data + (cfg->l3_offset & SLUICE_GEN_OFFSET_MASK);
    struct udphdr *udp = data + l4_offset;
    __u64 *seq_at = data + seq_offset;
    __u64 *ts_at = data + ts_offset;
    __be32 *saddr_low;

    if (flags & SLUICE_GEN_IPV6) {
        if ((void *)(l3 + sizeof(struct ipv6hdr)) > data_end)
            return SLUICE_GEN_DROP_TOO_SHORT;
        saddr_low = (__be32 *)(l3 + IPV6_SADDR_LOW_OFFSET);
    } else {
        if ((void *)(l3 + sizeof(struct iphdr)) > data_end)
            return SLUICE_GEN_DROP_TOO_SHORT;
        saddr_low = (__be32 *)(l3 + IPV4_SADDR_OFFSET);
    }
    if ((void *)(udp + 1) > data_end || (void *)(seq_at + 1) > data_end || (void *)(ts_at + 1) > data_end)
        return SLUICE_GEN_DROP_TOO_SHORT;

    const __u64 seq = __sync_fetch_and_add(next_seq, 1);
    const __u64 now = bpf_ktime_get_ns();
    const __u32 port_count = cfg->src_port_count ? cfg->src_port_count : 1;
    const __u32 addr_count = cfg->src_addr_count ? cfg->src_addr_count : 1;
    const __u16 port_old = bpf_htons(cfg->src_port_base);
    const __u16 port_new = bpf_htons((__u16)(cfg->src_port_base + seq % port_count));
    const __u32 addr_old = bpf_htonl(cfg->src_addr_low);
    const __u32 addr_new = bpf_htonl(cfg->src_addr_low + (__u32)((seq / port_count) % addr_count));
    const __u32 addr_delta = words32(~addr_old) + words32(addr_new);
    const __u64 seq_le = to_le64(seq);
    const __u64 ts_le = to_le64(now);

    *seq_at = seq_le;
    *ts_at = ts_le;
    udp->source = port_new;
    *saddr_low = addr_new;
    if (!(flags & SLUICE_GEN_IPV6))
        ((struct iphdr *)l3)->check = checksum_replace(cfg->ip_check, addr_delta);

    if (flags & SLUICE_GEN_UDP_CSUM) {
        const __u32 delta = addr_delta + (__u16)~port_old + port_new +
            field_words(seq_le, (seq_offset - l4_offset) & 1) + field_words(ts_le, (ts_offset - l4_offset) & 1);
        const __u16 check = checksum_replace(cfg->udp_check, delta);

        /* a computed 0 goes out as 0xFFFF: for UDP, 0 means "no checksum" (and is invalid over IPv6) */
        udp->check = check ? check : 0xFFFF;
    } else {
        udp->check = cfg->udp_check;
    }

    return SLUICE_GEN_REDIRECTED;
}

static __always_inline __u32 egress_ifindex(void)
{
    __u32 zero = 0;
    const struct sluice_gen_config *cfg = bpf_map_lookup_elem(&sluice_gen_cfg, &zero);

    return cfg ? cfg->egress_ifindex : 0;
}

SEC("xdp")
int sluice_gen(struct xdp_md *ctx)
{
    const __u32 stamped = stamp((void *)(long)ctx->data, (void *)(long)ctx->data_end);

    if (stamped != SLUICE_GEN_REDIRECTED)
        return outcome(stamped, XDP_DROP);
    return outcome(SLUICE_GEN_REDIRECTED, bpf_redirect(egress_ifindex(), 0));
}

/*
 * The same generator for kernels that refuse live-frame mode (BPF_PROG_RUN answers EPERM): user space runs this
 * tc program with BPF_PROG_RUN's plain mode and a repeat count over one skb holding the template, and each run
 * stamps the skb in place and sends a clone out of the egress with bpf_clone_redirect(). Every stamped field is
 * written in full on every run, as with live frames, so the skb's earlier stamps never accumulate.
 *
 * The clone leaves through the egress's transmit path, which picks the queue: with the receive queue recorded as
 * queue_mapping = CPU + 1 and no XPS map, skb_tx_hash() picks queue CPU % queues, and veth hands the frame to the
 * peer's receive queue of that number, as it does for an XDP-redirected frame from that CPU. veth counts a frame
 * its peer's full ring refuses as a transmit drop (tx_dropped).
 */
SEC("tc")
int sluice_gen_tc(struct __sk_buff *skb)
{
    const __u32 stamped = stamp((void *)(long)skb->data, (void *)(long)skb->data_end);

    if (stamped != SLUICE_GEN_REDIRECTED)
        return outcome(stamped, TC_ACT_SHOT);
    skb->queue_mapping = bpf_get_smp_processor_id() + 1;
    if (bpf_clone_redirect(skb, egress_ifindex(), 0) != 0)
        return outcome(SLUICE_GEN_DROP_CLONE, TC_ACT_SHOT);
    return outcome(SLUICE_GEN_REDIRECTED, TC_ACT_OK);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
