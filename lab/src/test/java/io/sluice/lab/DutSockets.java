package io.sluice.lab;

import io.sluice.xsk.socket.Refill;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.XskStatistics;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.xdp.SteeringProgram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * One AF_XDP socket on every RX queue of a lab NIC, all on one UMEM (the first registers it, the others join with
 * {@code XDP_SHARED_UMEM}, so they inherit its zero-copy mode), each registered in the steering program. A NIC
 * hashes a flow to a queue of its choosing; with a socket on each, every steered frame has one to go to.
 */
final class DutSockets implements AutoCloseable
{
    private static final long CARRIER_TIMEOUT_NS = 20_000_000_000L;

    private final XskSocket[] sockets;

    private DutSockets(final XskSocket[] sockets)
    {
        this.sockets = sockets;
    }

    /**
     * @param umem    the frames.
     * @param iface   a NIC in this thread's namespace.
     * @param config  every socket's.
     * @param program attached to {@code iface}; each socket is registered with it.
     * @return the sockets, queue 0 first.
     */
    static DutSockets open(final Umem umem, final String iface, final XskConfig config, final SteeringProgram program)
    {
        final int queues = rxQueues(iface);
        final XskSocket[] sockets = new XskSocket[queues];
        try
        {
            for (int q = 0; q < queues; q++)
            {
                sockets[q] = XskSocket.open(umem, iface, q, config).registerWith(program);
            }
        }
        catch (final RuntimeException ex)
        {
            new DutSockets(sockets).close();
            throw ex;
        }
        awaitCarrier(iface);

        return new DutSockets(sockets);
    }

    /**
     * Wait for a NIC's carrier: igb resets itself to attach or detach an XDP program, and its link is down for a
     * second or two after, while the wire drops what it is sent.
     *
     * @param iface a NIC in this thread's namespace.
     */
    static void awaitCarrier(final String iface)
    {
        final Path carrier = Path.of("/sys/class/net", iface, "carrier");
        final long deadlineNs = System.nanoTime() + CARRIER_TIMEOUT_NS;
        while (true)
        {
            try
            {
                if ("1".equals(Files.readString(carrier).strip()))
                {
                    return;
                }
            }
            catch (final IOException ignore)
            {
                // EINVAL while the device is down: not up yet
            }
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException(iface + " had no carrier within 20 s");
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    /**
     * @param iface a NIC in this thread's namespace.
     * @return its RX queues, as sysfs lists them.
     */
    static int rxQueues(final String iface)
    {
        try (Stream<Path> queues = Files.list(Path.of("/sys/class/net", iface, "queues")))
        {
            return (int)queues.filter((path) -> path.getFileName().toString().startsWith("rx-")).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    XskSocket[] sockets()
    {
        return sockets;
    }

    XskSocket first()
    {
        return sockets[0];
    }

    /**
     * Receive and hand straight back to the fill ring, from every socket in turn, until {@code expected} frames
     * came or the deadline passed.
     *
     * @param expected   frames wanted.
     * @param perQueue   receives each queue's count.
     * @param frameCheck called with each frame's queue, address and length.
     * @param timeoutNs  how long to wait.
     * @param stop       read once a loop: a non-zero value ends the wait early (e.g. a sender that failed).
     * @return frames received.
     */
    long receiveAndRefill(
        final long expected, final long[] perQueue, final FrameCheck frameCheck, final long timeoutNs,
        final LongSupplier stop)
    {
        final long[] addresses = new long[64];
        final int[] lengths = new int[64];
        final long deadlineNs = System.nanoTime() + timeoutNs;
        long received = 0;
        while (received < expected && System.nanoTime() < deadlineNs && 0 == stop.getAsLong())
        {
            for (int q = 0; q < sockets.length; q++)
            {
                final int n = sockets[q].receive(addresses, lengths, 0, addresses.length);
                for (int i = 0; i < n; i++)
                {
                    frameCheck.check(q, addresses[i], lengths[i]);
                }
                if (n != Refill.all(sockets[q], addresses, n))
                {
                    throw new IllegalStateException("queue " + q + ": the fill ring stayed full for a second");
                }
                perQueue[q] += n;
                received += n;
            }
        }

        return received;
    }

    /**
     * @return the kernel's statistics summed over the sockets.
     */
    XskStatistics statistics()
    {
        XskStatistics total = sockets[0].statistics();
        for (int q = 1; q < sockets.length; q++)
        {
            total = total.plus(sockets[q].statistics());
        }

        return total;
    }

    @Override
    public void close()
    {
        for (int q = sockets.length - 1; q >= 0; q--)
        {
            if (null != sockets[q])
            {
                sockets[q].close();
            }
        }
    }

    @FunctionalInterface
    interface FrameCheck
    {
        void check(int queue, long address, int length);
    }
}
