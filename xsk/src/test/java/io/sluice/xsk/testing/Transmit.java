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

    /**
     * Copy each packet into as many UMEM frames as it needs, {@code bufferBytes} at most in each, and send them as
     * chains ({@link XskSocket#transmitPackets}) until every one is sent and completed, or the bound passes.
     *
     * @param socket      a multi-buffer sending socket.
     * @param packets     the packets' bytes, in order.
     * @param bufferBytes most bytes per buffer, at most the UMEM's frame size.
     * @return packets put on the TX ring.
     * @throws IllegalStateException if the pool has too few free frames.
     */
    public static int packets(final XskSocket socket, final List<byte[]> packets, final int bufferBytes)
    {
        final Umem umem = socket.umem();
        int total = 0;
        for (final byte[] packet : packets)
        {
            total += Math.max(1, (packet.length + bufferBytes - 1) / bufferBytes);
        }
        final long[] addresses = new long[total];
        final int[] lengths = new int[total];
        final int[] buffers = new int[packets.size()];
        final int taken = umem.pool().allocate(addresses, 0, total);
        if (taken != total)
        {
            umem.pool().release(addresses, 0, taken);
            throw new IllegalStateException("the UMEM pool has " + taken + " free frames, not " + total);
        }
        int buffer = 0;
        for (int k = 0; k < packets.size(); k++)
        {
            final byte[] packet = packets.get(k);
            int offset = 0;
            int count = 0;
            do
            {
                final int length = Math.min(bufferBytes, packet.length - offset);
                MemorySegment.copy(packet, offset, umem.memory(), ValueLayout.JAVA_BYTE, addresses[buffer], length);
                lengths[buffer++] = length;
                offset += length;
                count++;
            }
            while (offset < packet.length);
            buffers[k] = count;
        }

        int sent = 0;
        int sentBuffers = 0;
        final long deadlineNs = System.nanoTime() + PATIENCE_NS;
        while ((sent < packets.size() || socket.txFrames() > 0) && System.nanoTime() < deadlineNs)
        {
            final int placed = socket.transmitPackets(addresses, lengths, buffers, sentBuffers, sent,
                packets.size() - sent);
            for (int k = sent; k < sent + placed; k++)
            {
                sentBuffers += buffers[k];
            }
            sent += placed;
            socket.flushTx();
            socket.completeToPool(Integer.MAX_VALUE);
        }

        return sent;
    }
}
