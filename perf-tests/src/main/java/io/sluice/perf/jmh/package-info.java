/**
 * JMH micro-benchmarks of the per-frame hot path without a kernel or a NIC: the parser over frames in a native
 * segment laid out as a UMEM, the filter over parsed events, and the ring protocol over a segment laid out as the
 * kernel lays out a ring. Each reports nanoseconds per operation and, under {@code -prof gc}, bytes allocated per
 * operation, which must be 0. Run them with {@code ./sluice bench jmh}.
 */
package io.sluice.perf.jmh;
