/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Types shared by the Sluice traffic generator (sluice_gen.c) and user space. The Java mirrors live in
 * io.sluice.xsk.gen.GeneratorDescriptor and are checked against this file by a gcc-compiled test.
 */
#ifndef SLUICE_GEN_H
#define SLUICE_GEN_H

#include <linux/types.h>

/* config.flags */
#define SLUICE_GEN_IPV6 1u       /* the template is IPv6 (else IPv4) */
#define SLUICE_GEN_UDP_CSUM 2u   /* keep the UDP checksum right (else write config.udp_check, i.e. 0) */

/* Offsets are masked with this before use, which bounds them for the verifier; live frames are < 4 KiB. */
#define SLUICE_GEN_OFFSET_MASK 0xFFF

/*
 * Per-CPU counters. Every run of the program lands in exactly one, so their sum is the number of runs.
 */
enum sluice_gen_counter {
    SLUICE_GEN_REDIRECTED = 0,   /* stamped and handed to bpf_redirect(): sent */
    SLUICE_GEN_DROP_TOO_SHORT,   /* the frame ends before a configured offset: dropped */
    SLUICE_GEN_DROP_NO_CONFIG,   /* a map lookup failed (cannot happen with array maps): dropped */
    SLUICE_GEN_DROP_CLONE,       /* sluice_gen_tc: bpf_clone_redirect() failed (no memory, egress down): dropped */
    SLUICE_GEN_COUNTERS,
};

/*
 * What the program stamps into each copy of the template. Offsets count from the start of the frame. Values
 * marked "as stored" are the template's bytes read as a native __u16/__u32, so the program never converts them;
 * values marked "host order" are numbers. The template user space hands to BPF_PROG_RUN carries the source port
 * src_port_base, the source address src_addr_low, zeroes where the sequence number and timestamp go, and the
 * checksums ip_check and udp_check that are right for exactly those bytes.
 */
struct sluice_gen_config {
    __u32 egress_ifindex;   /* bpf_redirect() target, in the namespace of the BPF_PROG_RUN caller */
    __u32 flags;            /* SLUICE_GEN_* */
    __u16 l3_offset;        /* IPv4 or IPv6 header */
    __u16 l4_offset;        /* UDP header */
    __u16 seq_offset;       /* __u64 sequence number, little-endian, in the UDP payload */
    __u16 ts_offset;        /* __u64 bpf_ktime_get_ns() (CLOCK_MONOTONIC), little-endian, in the UDP payload */
    __u16 src_port_base;    /* host order: source port = base + seq % count */
    __u16 src_port_count;   /* >= 1 */
    __u16 ip_check;         /* as stored: the template's IPv4 header checksum (0 for IPv6) */
    __u16 udp_check;        /* as stored: the template's UDP checksum */
    __u32 src_addr_low;     /* host order: the last 32 bits of the template's source address */
    __u32 src_addr_count;   /* >= 1: last 32 bits of the source = low + (seq / port count) % count */
};

#endif /* SLUICE_GEN_H */
