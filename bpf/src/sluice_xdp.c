// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Sluice's XDP program: steers chosen flows into AF_XDP sockets and passes everything else on.
 *
 * Order of decisions, each packet counted in exactly one outcome:
 *   1. Ethernet and up to two VLAN tags (802.1Q or 802.1ad); anything but IPv4/IPv6 passes.
 *   2. IPv4 (options skipped by IHL) or IPv6 (fixed header); a header cut short, or an IPv6 packet with an
 *      IPv4-mapped address (never valid on the wire), passes as malformed.
 *   3. The source blocklist (longest prefix match) drops, counted per block, unless the block has expired or the
 *      source is on the allowlist (both then go on to the rules, counted as observations).
 *   4. The rule classifier: per-field lookups give a 64-bit vector of the rules that field allows;
 *      the vectors are ANDed and the lowest set bit, the rule of highest precedence, decides.
 *      No rule matching passes.
 *   5. Steer redirects to the XSKMAP slot of the receive queue, the frame stamped with the rules' generation
 *      (struct sluice_meta) if user space asks for it; no socket there passes.
 *
 * Packets whose ports cannot be read - IPv4 non-first fragments and IPv6 with any extension
 * header - match on addresses only: the port constraint of every rule is treated as satisfied,
 * and for IPv6 extension headers the protocol constraint too, because the upper protocol is
 * not walked to. So all fragments of a datagram that a rule steers by address follow the
 * first one. Ports are never read from where they are not.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sluice_xdp.h"

#define IP_OFFSET_MASK 0x1FFF
#define VLAN_MAX_DEPTH 2

struct vlan_hdr {
    __be16 tci;
    __be16 encapsulated_proto;
};

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, SLUICE_XSKMAP_MAX_DEFAULT);
    __type(key, __u32);
    __type(value, __u32);
} sluice_xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, struct sluice_config);
} sluice_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, SLUICE_BLOCKLIST_MAX_DEFAULT);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct sluice_lpm_key);
    __type(value, struct sluice_block);
} sluice_blocklist SEC(".maps");

/* per block slot, sized with the blocklist by user space */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, SLUICE_BLOCKLIST_MAX_DEFAULT);
    __type(key, __u32);
    __type(value, struct sluice_stat);
} sluice_block_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, SLUICE_ALLOWLIST_MAX);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct sluice_lpm_key);
    __type(value, __u32);
} sluice_allowlist SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, SLUICE_RULE_PREFIXES_MAX);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct sluice_rule_lpm_key);
    __type(value, __u64);
} sluice_rule_src SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, SLUICE_RULE_PREFIXES_MAX);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct sluice_rule_lpm_key);
    __type(value, __u64);
} sluice_rule_dst SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, SLUICE_BANKS * SLUICE_PROTO_SLOTS);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, __u64);
} sluice_rule_proto SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, SLUICE_BANKS * SLUICE_PORT_SLOTS);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, __u64);
} sluice_rule_port SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, SLUICE_BANKS * SLUICE_MAX_RULES);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, struct sluice_rule_action);
} sluice_rule_action SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, SLUICE_COUNTERS);
    __type(key, __u32);
    __type(value, struct sluice_stat);
} sluice_counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, SLUICE_MAX_RULES);
    __type(key, __u32);
    __type(value, struct sluice_stat);
} sluice_rule_stats SEC(".maps");

enum ports_state {
    PORTS_PRESENT,
    PORTS_NONE,      /* the protocol has none: only rules without a port constraint match */
    PORTS_UNKNOWN,   /* not readable (fragment, extension header): ports are not matched */
};

static __always_inline void count(void *map, __u32 slot, __u64 bytes)
{
    struct sluice_stat *stat = bpf_map_lookup_elem(map, &slot);

    if (stat) {
        /* per-CPU value: no other writer, so plain increments are exact */
        stat->packets++;
        stat->bytes += bytes;
    }
}

static __always_inline int outcome(__u32 counter, __u64 bytes, int verdict)
{
    count(&sluice_counters, counter, bytes);
    return verdict;
}

static __always_inline __u32 lowest_bit(__u64 x)
{
    __u32 n = 0;

    if (!(x & 0xFFFFFFFFull)) { n += 32; x >>= 32; }
    if (!(x & 0xFFFFull)) { n += 16; x >>= 16; }
    if (!(x & 0xFFull)) { n += 8; x >>= 8; }
    if (!(x & 0xFull)) { n += 4; x >>= 4; }
    if (!(x & 0x3ull)) { n += 2; x >>= 2; }
    if (!(x & 0x1ull)) { n += 1; }
    return n;
}

static __always_inline int is_ipv6_extension(__u8 nexthdr)
{
    switch (nexthdr) {
    case IPPROTO_HOPOPTS:
    case IPPROTO_ROUTING:
    case IPPROTO_FRAGMENT:
    case IPPROTO_AH:
    case IPPROTO_DSTOPTS:
    case 135: /* Mobility */
    case 139: /* HIP */
    case 140: /* Shim6 */
    case 253: /* experimental */
    case 254:
        return 1;
    default:
        return 0;
    }
}

/* RFC 4291 2.5.5.2: IPv4-mapped addresses never appear on the wire, and Linux's ipv6_rcv drops them; letting
 * them through would let IPv6 packets match IPv4 rules, since IPv4 is stored IPv4-mapped. */
static __always_inline int is_v4_mapped(const struct in6_addr *addr)
{
    return addr->in6_u.u6_addr32[0] == 0 && addr->in6_u.u6_addr32[1] == 0 &&
           addr->in6_u.u6_addr32[2] == bpf_htonl(0x0000FFFF);
}

static __always_inline __u64 table_vector(void *map, __u32 slot)
{
    __u64 *vector = bpf_map_lookup_elem(map, &slot);

    return vector ? *vector : 0;
}

static __always_inline __u64 prefix_vector(void *map, __u32 bank, const __u8 *addr)
{
    struct sluice_rule_lpm_key key = {
        .prefixlen = SLUICE_BANK_BITS + 128,
        .bank = (__u8)bank,
    };
    __builtin_memcpy(key.addr, addr, 16);
    __u64 *vector = bpf_map_lookup_elem(map, &key);

    return vector ? *vector : 0;
}

/*
 * Redirect to the queue's socket. With SLUICE_CONFIG_STAMP the frame is stamped with the generation of the rules
 * that steered it (struct sluice_meta): in its XDP metadata, the 8 bytes before it in the UMEM, or, built with
 * SLUICE_STAMP_IN_FRONT for a kernel whose verifier refuses bpf_xdp_adjust_meta to XDP programs, in 8 bytes
 * pushed in front of the frame with bpf_xdp_adjust_head, which the receiver strips. A driver without the room
 * delivers the frame unstamped, and user space judges it by its newest rules.
 */
static __always_inline int steer(struct xdp_md *ctx, __u32 generation, __u32 flags, __u64 bytes)
{
    if (bpf_redirect_map(&sluice_xsks, ctx->rx_queue_index, XDP_PASS) != XDP_REDIRECT)
        return outcome(SLUICE_PASS_NO_SOCKET, bytes, XDP_PASS);
    if (!(flags & SLUICE_CONFIG_STAMP))
        return outcome(SLUICE_REDIRECT, bytes, XDP_REDIRECT);
#ifdef SLUICE_STAMP_IN_FRONT
    if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct sluice_meta)) == 0) {
        void *data_end = (void *)(long)ctx->data_end;
        struct sluice_meta *meta = (void *)(long)ctx->data;

        if ((void *)(meta + 1) <= data_end) {
            meta->generation = generation;
            meta->magic = SLUICE_META_MAGIC;
        }
    }
#else
    if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct sluice_meta)) == 0) {
        void *data = (void *)(long)ctx->data;
        struct sluice_meta *meta = (void *)(long)ctx->data_meta;

        if ((void *)(meta + 1) <= data) {
            meta->generation = generation;
            meta->magic = SLUICE_META_MAGIC;
        }
    }
#endif
    return outcome(SLUICE_REDIRECT, bytes, XDP_REDIRECT);
}

/*
 * xdp.frags (BPF_F_XDP_HAS_FRAGS): a multi-buffer packet (a jumbo frame on a driver with RX_SG) reaches the program
 * too, and a device takes an MTU larger than one page while it is attached. Only the first buffer is linear, between
 * data and data_end: every header read below is bounded by it, so a packet whose headers run past the first buffer
 * is passed to the kernel as malformed, never read beyond. Bytes are counted over every buffer.
 */
SEC("xdp.frags")
int sluice_xdp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 bytes = bpf_xdp_get_buff_len(ctx);
    struct ethhdr *eth = data;
    void *pos;
    __be16 h_proto;
    __u8 saddr[16] = {};
    __u8 daddr[16] = {};
    __u8 proto = 0;
    int proto_known = 1;
    enum ports_state ports = PORTS_NONE;
    __u16 dport = 0;

    __u32 key0 = 0;
    __u64 *config_word = bpf_map_lookup_elem(&sluice_config, &key0);
    if (!config_word)
        return outcome(SLUICE_PASS_NO_MATCH, bytes, XDP_PASS);
    /* one load: the generation and the flags of one write (see struct sluice_config) */
    union {
        __u64 word;
        struct sluice_config fields;
    } config = { .word = *(volatile __u64 *)config_word };
    const __u32 generation = config.fields.generation;

    /* steer-all (benchmarks, capture of a whole queue): what libxdp's default program does, nothing parsed */
    if (config.fields.flags & SLUICE_CONFIG_STEER_ALL)
        return steer(ctx, generation, config.fields.flags, bytes);

    if ((void *)(eth + 1) > data_end)
        return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
    h_proto = eth->h_proto;
    pos = eth + 1;

#pragma unroll
    for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
        struct vlan_hdr *vlan = pos;

        if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
            break;
        if ((void *)(vlan + 1) > data_end)
            return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
        if (i == 0)
            count(&sluice_counters, SLUICE_VLAN_TAGGED, bytes);
        h_proto = vlan->encapsulated_proto;
        pos = vlan + 1;
    }

    if (h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *iph = pos;
        __u32 ihl_bytes;

        if ((void *)(iph + 1) > data_end)
            return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
        ihl_bytes = iph->ihl * 4;
        if (iph->version != 4 || ihl_bytes < sizeof(*iph) || pos + ihl_bytes > data_end)
            return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
        saddr[10] = 0xFF;
        saddr[11] = 0xFF;
        daddr[10] = 0xFF;
        daddr[11] = 0xFF;
        __builtin_memcpy(&saddr[12], &iph->saddr, 4);
        __builtin_memcpy(&daddr[12], &iph->daddr, 4);
        proto = iph->protocol;
        if (iph->frag_off & bpf_htons(IP_OFFSET_MASK))
            ports = PORTS_UNKNOWN;
        pos += ihl_bytes;
    } else if (h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6h = pos;

        if ((void *)(ip6h + 1) > data_end)
            return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
        if (ip6h->version != 6 || is_v4_mapped(&ip6h->saddr) || is_v4_mapped(&ip6h->daddr))
            return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
        __builtin_memcpy(saddr, &ip6h->saddr, 16);
        __builtin_memcpy(daddr, &ip6h->daddr, 16);
        proto = ip6h->nexthdr;
        if (is_ipv6_extension(proto)) {
            proto_known = 0;
            ports = PORTS_UNKNOWN;
        }
        pos = ip6h + 1;
    } else {
        return outcome(SLUICE_PASS_NOT_IP, bytes, XDP_PASS);
    }

    if (config.fields.flags & SLUICE_CONFIG_BLOCKLIST_ACTIVE) {
        struct sluice_lpm_key key = { .prefixlen = 128 };

        __builtin_memcpy(key.addr, saddr, 16);
        struct sluice_block *block = bpf_map_lookup_elem(&sluice_blocklist, &key);

        if (block) {
            /* the allowlist is consulted only for a blocked source, and only when it holds a prefix */
            if (block->expires_ns && bpf_ktime_get_ns() >= block->expires_ns) {
                count(&sluice_counters, SLUICE_BLOCK_STALE, bytes);
            } else if ((config.fields.flags & SLUICE_CONFIG_ALLOWLIST_ACTIVE) &&
                       bpf_map_lookup_elem(&sluice_allowlist, &key)) {
                count(&sluice_counters, SLUICE_BLOCK_EXEMPT, bytes);
            } else {
                count(&sluice_block_stats, block->slot, bytes);
                return outcome(SLUICE_DROP_BLOCKLIST, bytes, XDP_DROP);
            }
        }
    }

    if (ports != PORTS_UNKNOWN) {
        if (proto == IPPROTO_UDP) {
            struct udphdr *udp = pos;

            if ((void *)(udp + 1) > data_end)
                return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
            dport = bpf_ntohs(udp->dest);
            ports = PORTS_PRESENT;
        } else if (proto == IPPROTO_TCP) {
            struct tcphdr *tcp = pos;

            if ((void *)(tcp + 1) > data_end)
                return outcome(SLUICE_PASS_MALFORMED, bytes, XDP_PASS);
            dport = bpf_ntohs(tcp->dest);
            ports = PORTS_PRESENT;
        }
    } else {
        count(&sluice_counters, SLUICE_L4_UNKNOWN, bytes);
    }

    const __u32 bank = generation & 1;
    __u64 match = ~0ull;

    if (proto_known)
        match &= table_vector(&sluice_rule_proto, bank * SLUICE_PROTO_SLOTS + proto);
    if (ports == PORTS_PRESENT)
        match &= table_vector(&sluice_rule_port, bank * SLUICE_PORT_SLOTS + dport);
    else if (ports == PORTS_NONE)
        match &= table_vector(&sluice_rule_port, bank * SLUICE_PORT_SLOTS + SLUICE_PORT_NONE);
    /* the two array lookups above reject most unchosen traffic before the tries are walked */
    if (match)
        match &= prefix_vector(&sluice_rule_src, bank, saddr);
    if (match)
        match &= prefix_vector(&sluice_rule_dst, bank, daddr);
    if (!match)
        return outcome(SLUICE_PASS_NO_MATCH, bytes, XDP_PASS);

    __u32 slot = bank * SLUICE_MAX_RULES + lowest_bit(match);
    struct sluice_rule_action *action = bpf_map_lookup_elem(&sluice_rule_action, &slot);
    if (!action)
        return outcome(SLUICE_PASS_NO_MATCH, bytes, XDP_PASS);
    count(&sluice_rule_stats, action->stat_slot, bytes);

    switch (action->action) {
    case SLUICE_ACTION_DROP:
        return outcome(SLUICE_DROP_RULE, bytes, XDP_DROP);
    case SLUICE_ACTION_STEER:
        return steer(ctx, generation, config.fields.flags, bytes);
    default:
        return outcome(SLUICE_PASS_RULE, bytes, XDP_PASS);
    }
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
