package io.sluice.xsk.socket;

/**
 * A test receiver's way of handing frames back: the kernel publishes how far it has read the fill ring only when it
 * runs out of the entries it peeked, so a full fill ring can look full for a moment after frames have arrived. As
 * libxdp's xdpsock does, reserve again until every frame is placed; a bound keeps a broken ring from hanging a test.
 */
public final class Refill
{
    private static final long PATIENCE_NS = 1_000_000_000L;

    private Refill()
    {
    }

    /**
     * @param socket    the socket whose fill ring takes the frames.
     * @param addresses the frames, from index 0.
     * @param count     how many.
     * @return frames placed: {@code count} unless the ring stayed full for a second.
     */
    public static int all(final XskSocket socket, final long[] addresses, final int count)
    {
        int placed = socket.fill(addresses, 0, count);
        final long deadlineNs = System.nanoTime() + PATIENCE_NS;
        while (placed < count && System.nanoTime() < deadlineNs)
        {
            placed += socket.fill(addresses, placed, count - placed);
        }

        return placed;
    }
}
