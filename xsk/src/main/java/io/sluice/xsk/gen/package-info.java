/**
 * Sluice's own traffic generator ({@code bpf/src/sluice_gen.c}): BPF_PROG_RUN in live-frame mode runs a small
 * XDP program over a template UDP frame, and each run stamps a sequence number, a timestamp, a source port and a
 * source address into a copy and redirects it out of an egress interface. {@link io.sluice.xsk.gen.TrafficGenerator}
 * loads and drives it: exact counts, paced rates, timed runs, and the program's own counters.
 */
package io.sluice.xsk.gen;
