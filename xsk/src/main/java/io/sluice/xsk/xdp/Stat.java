package io.sluice.xsk.xdp;

/**
 * Packets and bytes, summed over CPUs.
 *
 * @param packets packets counted.
 * @param bytes   bytes of those packets, from the Ethernet header.
 */
public record Stat(long packets, long bytes)
{
    public static final Stat ZERO = new Stat(0, 0);
}
