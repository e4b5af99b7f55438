/**
 * Control of the XDP steering program ({@code bpf/src/sluice_xdp.c}): loading and attaching it, its rule
 * classifier and source blocklist, and its counters, all changed at run time without reloading the program.
 */
package io.sluice.xsk.xdp;
