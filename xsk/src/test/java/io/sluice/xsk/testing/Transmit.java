package io.sluice.xsk.testing;

import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.Umem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test sender's way of putting frames on the wire from an AF_XDP socket: transmit, kick and take completions back
 * to the UMEM's pool until every frame is sent and completed; a bound keeps a stuck ring from hanging a test.
 */
public final class Transmit
{
    private static final long PATIENCE_NS = TimeUnit.SECONDS.toNanos(5);

    private Transmit()
    {
    }

    /**
     * @param socket    the sending socket.
     * @param addresses the frames, from index 0, their bytes in place.
     * @param lengths   their lengths.
     * @param count     how many.
     * @return frames put on the TX ring: {@code count} unless the ring stayed full for the bound. Check
     * {@code socket.txFrames()} for any still in flight.
     */
    public static int all(final XskSocket socket, final long[] addresses, final int[] lengths, final int count)
    {
        int sent = 0;
        final long deadlineNs = System.nanoTime() + PATIENCE_NS;
        while ((sent < count || socket.txFrames() > 0) && System.nanoTime() < deadlineNs)
        {
            sent += socket.transmit(addresses, lengths, sent, count - sent);
            socket.flushTx();
            socket.completeToPool(Integer.MAX_VALUE);
        }

        return sent;
    }

    /**
     * Copy each frame into a UMEM frame from the socket's pool, then send them all as {@link #all} does.
     *
     * @param socket the sending socket.
     * @param frames the frames' bytes, in order.
     * @return frames put on the TX ring.
     * @throws IllegalStateException if the pool has fewer free frames.
     */
    public static int frames(final XskSocket socket, final List<byte[]> frames)
    {
        final Umem umem = socket.umem();
        final int count = frames.size();
        final long[] addresses = new long[count];
        final int[] lengths = new int[count];
        final int taken = umem.pool().allocate(addresses, 0, count);
        if (taken != count)
        {
            umem.pool().release(addresses, 0, taken);
            throw new IllegalStateException("the UMEM pool has " + taken + " free frames, not " + count);
        }
        for (int i = 0; i < count; i++)
        {
            final byte[] frame = frames.get(i);
            MemorySegment.copy(frame, 0, umem.memory(), ValueLayout.JAVA_BYTE, addresses[i], frame.length);
            lengths[i] = frame.length;
        }

        return all(socket, addresses, lengths, count);
    }
}
