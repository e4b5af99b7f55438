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
    private static final long EMPTY_PASS_PARK_NS = 100_000L;
    private static final int POLL_BUFFERS = 64;

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
     * came or none came for {@code stallTimeoutNs}. The wait is for a stall, not a total: under TCG the generator's
     * pace varies several-fold from run to run (20,000 frames took from 20 s to 60 s). A pass that finds every
     * socket empty parks for a moment, so that on the guest's one TCG thread the generator gets the CPU this loop
     * would spin on.
     *
     * @param expected       frames wanted.
     * @param perQueue       receives each queue's count.
     * @param frameCheck     called with each frame's queue, address and length.
     * @param stallTimeoutNs how long to wait for the next frame.
     * @param stop           read once a loop: a non-zero value ends the wait early (e.g. a sender that failed).
     * @return frames received.
     */
    long receiveAndRefill(
        final long expected, final long[] perQueue, final FrameCheck frameCheck, final long stallTimeoutNs,
        final LongSupplier stop)
    {
        return receive(expected, perQueue, stallTimeoutNs, stop, (queue, socket, addresses, lengths) ->
        {
            final int n = socket.receive(addresses, lengths, 0, addresses.length);
            for (int i = 0; i < n; i++)
            {
                frameCheck.check(queue, addresses[i], lengths[i]);
            }

            return (long)n << 32 | n;
        });
    }

    /**
     * {@link #receiveAndRefill} by whole packets ({@link XskSocket#receivePackets}): on a multi-buffer socket each
     * one buffer or a chain, handed to {@code packetCheck} whole before its buffers go back to the fill ring.
     *
     * @param expected       packets wanted.
     * @param perQueue       receives each queue's count of packets.
     * @param packetCheck    called with each packet's queue, buffers and count of them (its entry from
     *                       {@link XskSocket#receivePackets}, {@link XskSocket#CHAIN_CUT} included).
     * @param stallTimeoutNs how long to wait for the next packet.
     * @param stop           read once a loop: a non-zero value ends the wait early.
     * @return packets received.
     */
    long receivePacketsAndRefill(
        final long expected, final long[] perQueue, final PacketCheck packetCheck, final long stallTimeoutNs,
        final LongSupplier stop)
    {
        final int[] buffers = new int[POLL_BUFFERS];

        return receive(expected, perQueue, stallTimeoutNs, stop, (queue, socket, addresses, lengths) ->
        {
            final int packets = socket.receivePackets(addresses, lengths, buffers, buffers.length);
            int taken = 0;
            for (int k = 0; k < packets; k++)
            {
                final int count = buffers[k] & XskSocket.BUFFERS_MASK;
                packetCheck.check(queue, addresses, lengths, taken, buffers[k]);
                taken += count;
            }

            return (long)packets << 32 | taken;
        });
    }

    private long receive(
        final long expected, final long[] perQueue, final long stallTimeoutNs, final LongSupplier stop,
        final Poll poll)
    {
        final long[] addresses = new long[POLL_BUFFERS];
        final int[] lengths = new int[POLL_BUFFERS];
        long lastNs = System.nanoTime();
        long received = 0;
        while (received < expected && System.nanoTime() - lastNs < stallTimeoutNs && 0 == stop.getAsLong())
        {
            final long before = received;
            for (int q = 0; q < sockets.length; q++)
            {
                final long polled = poll.poll(q, sockets[q], addresses, lengths);
                final int units = (int)(polled >>> 32);
                final int frames = (int)polled;
                if (frames != Refill.all(sockets[q], addresses, frames))
                {
                    throw new IllegalStateException("queue " + q + ": the fill ring stayed full for a second");
                }
                perQueue[q] += units;
                received += units;
            }
            if (received == before)
            {
                LockSupport.parkNanos(EMPTY_PASS_PARK_NS);
            }
            else
            {
                lastNs = System.nanoTime();
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

    @FunctionalInterface
    interface PacketCheck
    {
        void check(int queue, long[] addresses, int[] lengths, int first, int buffers);
    }

    /**
     * One receive from a socket: what it took, as packets (or frames) in the high half and frames to refill in the
     * low half.
     */
    @FunctionalInterface
    private interface Poll
    {
        long poll(int queue, XskSocket socket, long[] addresses, int[] lengths);
    }
}
