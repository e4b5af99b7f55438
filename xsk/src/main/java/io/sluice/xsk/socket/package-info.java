/**
 * AF_XDP sockets: one per (interface, queue), bound with need_wakeup, in the zero-copy mode a policy asks for,
 * optionally sharing a UMEM; their batched data-path operations, which keep every frame's ownership counted and
 * make no system call but the wake-ups the kernel asks for; and their counters and kernel statistics.
 */
package io.sluice.xsk.socket;
