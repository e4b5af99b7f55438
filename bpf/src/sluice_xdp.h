/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Types shared by the Sluice XDP program and user space. The Java mirrors live in
 * io.sluice.xsk.xdp.SteeringDescriptor and are checked against this file by a gcc-compiled test.
 */
#ifndef SLUICE_XDP_H
#define SLUICE_XDP_H

#include <linux/types.h>

/* Rules are ranked 0..63; a rule's rank is its bit in every match vector, and the lowest set bit wins. */
#define SLUICE_MAX_RULES 64
/* Every classifier table exists twice; user space fills the idle bank, then makes it live with a new generation. */
#define SLUICE_BANKS 2
#define SLUICE_PROTO_SLOTS 256
/* Ports 0..65535, then one slot for "this packet has no ports" (ICMP, ESP, ...). */
#define SLUICE_PORT_NONE 65536
#define SLUICE_PORT_SLOTS 65537
/* Per bank and per address trie: one prefix per rule plus the default route. */
#define SLUICE_RULE_PREFIXES_MAX (SLUICE_BANKS * (SLUICE_MAX_RULES + 1))
/* Blocked source prefixes, each with its own per-CPU drop counter slot: 16,384 x 16 bytes per CPU. */
#define SLUICE_BLOCKLIST_MAX_DEFAULT 16384
/* Source prefixes a block never applies to. */
#define SLUICE_ALLOWLIST_MAX 1024
#define SLUICE_XSKMAP_MAX_DEFAULT 64

/* The data byte of a rule trie key that precedes the address; prefixlen counts it. */
#define SLUICE_BANK_BITS 8

enum sluice_action {
    SLUICE_ACTION_PASS = 0,
    SLUICE_ACTION_DROP = 1,
    SLUICE_ACTION_STEER = 2,
};

/*
 * Per-CPU counters. Every packet the program sees lands in exactly one outcome (the first
 * SLUICE_OUTCOMES entries), so their sum is the number of packets offered. The entries after
 * SLUICE_OUTCOMES are observations that overlap the outcomes.
 */
enum sluice_counter {
    SLUICE_PASS_NO_MATCH = 0,
    SLUICE_PASS_RULE,
    SLUICE_PASS_NO_SOCKET,
    SLUICE_PASS_NOT_IP,
    SLUICE_PASS_MALFORMED,
    SLUICE_DROP_BLOCKLIST,
    SLUICE_DROP_RULE,
    SLUICE_REDIRECT,
    SLUICE_OUTCOMES,
    SLUICE_L4_UNKNOWN = SLUICE_OUTCOMES,
    SLUICE_VLAN_TAGGED,
    SLUICE_BLOCK_EXEMPT,   /* a block matched the source, but the allowlist covers it: not dropped */
    SLUICE_BLOCK_STALE,    /* a block matched the source, but its expiry has passed: not dropped */
    SLUICE_COUNTERS,
};

/* config.flags */
#define SLUICE_CONFIG_BLOCKLIST_ACTIVE 1u
/* every frame to the queue's socket, unparsed (or passed if the queue has none); rules and blocklist unused */
#define SLUICE_CONFIG_STEER_ALL 2u
/* the allowlist holds a prefix: a blocked source is looked up in it */
#define SLUICE_CONFIG_ALLOWLIST_ACTIVE 4u
/* stamp each steered frame with the generation of the rules that steered it (struct sluice_meta) */
#define SLUICE_CONFIG_STAMP 8u

/*
 * The program reads the entry with one 64-bit load, and user space writes it with one 64-bit store to the mmapped
 * map, so a packet never sees a generation with another write's flags. The rule tables' live bank is
 * generation & 1: each new set of rules is written into the idle bank and made live by the next generation.
 */
struct sluice_config {
    __u32 generation;
    __u32 flags;
};

/*
 * The stamp a steered frame carries with SLUICE_CONFIG_STAMP: the generation of the rules that steered it, so that
 * user space judges it by the filter of the same generation. It is the frame's XDP metadata, the 8 bytes just
 * before its first byte in the UMEM; the program built with SLUICE_STAMP_IN_FRONT (sluice_xdp_front.o, for a
 * kernel that refuses bpf_xdp_adjust_meta) puts it in the frame's first 8 bytes, before the Ethernet header.
 */
#define SLUICE_META_MAGIC 0x534C4345u /* "SLCE" */
struct sluice_meta {
    __u32 generation;
    __u32 magic;
};

struct sluice_stat {
    __u64 packets;
    __u64 bytes;
};

/* IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d), so one trie serves both families. */
struct sluice_lpm_key {
    __u32 prefixlen;
    __u8 addr[16];
};

/*
 * A blocklist entry. expires_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns, Java's System.nanoTime) after which the
 * block no longer drops, 0 for never; user space deletes expired entries, the program need not wait for it.
 * slot indexes sluice_block_stats, the block's own per-CPU drop counter.
 */
struct sluice_block {
    __u64 expires_ns;
    __u32 slot;
    __u32 pad;
};

struct sluice_rule_lpm_key {
    __u32 prefixlen;
    __u8 bank;
    __u8 addr[16];
    __u8 pad[3];
};

struct sluice_rule_action {
    __u32 action;
    __u32 rule_id;
    __u32 stat_slot;
    __u32 pad;
};

#endif
