package io.sluice.perf;

import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.XskStatistics;
import io.sluice.xsk.umem.Umem;

/**
 * A benchmark's AF_XDP sockets, one per queue from a first one, on one UMEM: the first registers it, the rest share
 * it, each with its own fill and completion ring. Closed together, before the UMEM.
 */
final class QueueSockets implements AutoCloseable
{
    private final XskSocket[] sockets;

    private QueueSockets(final XskSocket[] sockets)
    {
        this.sockets = sockets;
    }

    /**
     * @param umem       the UMEM they share.
     * @param iface      interface, in the current network namespace.
     * @param firstQueue the first queue.
     * @param count      how many queues from it.
     * @param config     each socket's rings and zero-copy policy.
     * @return the sockets, all open; none is left open if one fails.
     */
    static QueueSockets open(
        final Umem umem, final String iface, final int firstQueue, final int count, final XskConfig config)
    {
        final int[] queues = queues(firstQueue, count);
        final XskSocket[] sockets = new XskSocket[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = XskSocket.open(umem, iface, queues[i], config);
            }
        }
        catch (final RuntimeException ex)
        {
            new QueueSockets(sockets).close();
            throw ex;
        }

        return new QueueSockets(sockets);
    }

    /**
     * A benchmark's {@code --queue} and {@code --queues}.
     *
     * @param firstQueue the first queue.
     * @param count      how many queues from it.
     * @return the queues, in order.
     * @throws IllegalArgumentException naming both options when either is out of range.
     */
    static int[] queues(final int firstQueue, final int count)
    {
        if (firstQueue < 0 || count < 1)
        {
            throw new IllegalArgumentException("--queue must be >= 0 and --queues >= 1, not " + firstQueue + " and " +
                count);
        }
        final int[] queues = new int[count];
        for (int i = 0; i < count; i++)
        {
            queues[i] = firstQueue + i;
        }

        return queues;
    }

    /**
     * @return the sockets, queue order; the hot loop's own array.
     */
    XskSocket[] sockets()
    {
        return sockets;
    }

    /**
     * @param counter a socket counter.
     * @return its sum over the sockets.
     */
    long sum(final XskCounter counter)
    {
        return sum(sockets, sockets.length, counter);
    }

    /**
     * @param sockets some sockets.
     * @param count   how many of them, from the first.
     * @param counter a socket counter.
     * @return its sum over those sockets.
     */
    static long sum(final XskSocket[] sockets, final int count, final XskCounter counter)
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            total += sockets[i].counter(counter);
        }

        return total;
    }

    /**
     * @return {@code XDP_STATISTICS} summed over the sockets.
     */
    XskStatistics statistics()
    {
        XskStatistics total = sockets[0].statistics();
        for (int i = 1; i < sockets.length; i++)
        {
            total = total.plus(sockets[i].statistics());
        }

        return total;
    }

    /**
     * @param perQueue a count per queue.
     * @return them as {@code a/b/c}, for a TOTAL line.
     */
    static String format(final long[] perQueue)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < perQueue.length; i++)
        {
            text.append(0 == i ? "" : "/").append(perQueue[i]);
        }

        return text.toString();
    }

    @Override
    public void close()
    {
        for (final XskSocket socket : sockets)
        {
            if (null != socket)
            {
                socket.close();
            }
        }
    }
}
