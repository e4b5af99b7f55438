package io.sluice.perf;

import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.FramePool;
import io.sluice.xsk.util.CpuAffinity;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The test host's side of the latency scenario, on one thread: it sends from the first of its AF_XDP sockets (one
 * flow, so one queue, as RSS would place it) and receives on all of them, one per queue of the interface, since a
 * reflector may send a frame back on any queue: it sends a UDP frame every
 * {@code 1 / rate}, stamped with a sequence number and {@code System.nanoTime()} (CLOCK_MONOTONIC) just before it
 * goes on the TX ring, and records each frame that comes back into a {@link LatencyRecorder}. Sending on a
 * schedule, rather than in the generator's bursts, is what makes the round trips mean something: each frame waits
 * only for the reflector, not for the frames queued ahead of it in a burst.
 * <p>
 * The send time is the scheduled one when the thread runs late, so a stall of the prober itself shows as latency
 * rather than hiding it (the same coordinated-omission rule the recorder applies on the receive side).
 */
final class LatencyProbe
{
    /**
     * Where the sequence number and the timestamp go: the start of the UDP payload of an untagged IPv4 frame, as the
     * generator puts them.
     */
    static final int SEQUENCE_OFFSET = 42;
    static final int TIMESTAMP_OFFSET = SEQUENCE_OFFSET + 8;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BATCH = 64;
    private static final int ETHER_TYPE_OFFSET = 12;
    private static final int PROTOCOL_OFFSET = 23;
    private static final int PORTS_OFFSET = 34;

    private final XskSocket socket;
    private final XskSocket[] sockets;
    private final MemorySegment memory;
    private final FramePool pool;
    private final byte[] template;
    private final short etherType;
    private final byte protocol;
    private final int ports;
    private long foreign;
    private long nextSequence;

    /**
     * @param sockets  the test host's sockets on one UMEM, whose frames are free in the pool; it sends from the
     *                 first.
     * @param template the frame to send: Ethernet, IPv4, UDP, payload of at least 16 bytes.
     */
    LatencyProbe(final XskSocket[] sockets, final byte[] template)
    {
        if (template.length < TIMESTAMP_OFFSET + 8)
        {
            throw new IllegalArgumentException("template of " + template.length + " bytes has no room for the stamps");
        }
        this.sockets = sockets.clone();
        this.socket = sockets[0];
        this.memory = socket.umem().memory();
        this.pool = socket.umem().pool();
        this.template = template.clone();
        final MemorySegment bytes = MemorySegment.ofArray(this.template);
        this.etherType = bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED, ETHER_TYPE_OFFSET);
        this.protocol = bytes.get(ValueLayout.JAVA_BYTE, PROTOCOL_OFFSET);
        this.ports = bytes.get(ValueLayout.JAVA_INT_UNALIGNED, PORTS_OFFSET);
    }

    /**
     * @return frames received that were not the probe's own (ARP, neighbour discovery, other flows), left out.
     */
    long foreign()
    {
        return foreign;
    }

    /**
     * Send at a fixed rate for a time, receive until the last frame has had time to return, and record.
     *
     * @param ratePps   frames per second.
     * @param durationS seconds of sending.
     * @param cpu       CPU to pin the thread to, or -1.
     * @param recorder  where round trips go, made with {@link #nextSequence()} as its first: numbers carry on from
     *                  run to run, so that a late frame of an earlier run is told apart.
     * @return frames sent.
     */
    long run(final long ratePps, final int durationS, final int cpu, final LatencyRecorder recorder)
    {
        final int[] previous = cpu >= 0 ? CpuAffinity.pinCurrentThread(cpu) : null;
        try
        {
            return loop(ratePps, durationS, recorder);
        }
        finally
        {
            if (null != previous)
            {
                CpuAffinity.pinCurrentThread(previous);
            }
        }
    }

    private long loop(final long ratePps, final int durationS, final LatencyRecorder recorder)
    {
        final long intervalNs = 1_000_000_000L / ratePps;
        final long first = nextSequence;
        final long total = first + ratePps * durationS;
        final long[] txAddresses = new long[BATCH];
        final int[] txLengths = new int[BATCH];
        Arrays.fill(txLengths, template.length);
        final long[] rxAddresses = new long[BATCH];
        final int[] rxLengths = new int[BATCH];
        final long startNs = System.nanoTime() + 1_000_000;
        recorder.start(startNs);
        final long drainUntilNs = startNs + durationS * 1_000_000_000L + 500_000_000L;
        long sequence = first;
        long nextNs = startNs;
        long nowNs;
        while ((nowNs = System.nanoTime()) < drainUntilNs)
        {
            socket.completeToPool(Integer.MAX_VALUE);

            int n = 0;
            while (sequence < total && nextNs <= nowNs && n < BATCH)
            {
                final long frame = pool.take(io.sluice.xsk.umem.FrameTracker.APPLICATION);
                if (frame < 0)
                {
                    break;
                }
                MemorySegment.copy(template, 0, memory, ValueLayout.JAVA_BYTE, frame, template.length);
                memory.set(U64, frame + SEQUENCE_OFFSET, sequence);
                // the scheduled time: if this thread runs late, the lateness counts
                memory.set(U64, frame + TIMESTAMP_OFFSET, nextNs);
                txAddresses[n++] = frame;
                sequence++;
                nextNs += intervalNs;
            }
            int placed = 0;
            while (placed < n)
            {
                placed += socket.transmit(txAddresses, txLengths, placed, n - placed);
                if (placed < n)
                {
                    socket.flushTx();
                    socket.completeToPool(Integer.MAX_VALUE);
                }
            }
            // in copy mode a kick sends at most 32 frames: kick while any are left on the ring
            socket.flushTx();

            for (final XskSocket from : sockets)
            {
                final int received = from.receive(rxAddresses, rxLengths, 0, BATCH);
                if (received > 0)
                {
                    final long receivedNs = System.nanoTime();
                    for (int i = 0; i < received; i++)
                    {
                        final long address = rxAddresses[i];
                        if (isProbe(address, rxLengths[i]))
                        {
                            recorder.record(memory.get(U64, address + SEQUENCE_OFFSET),
                                receivedNs - memory.get(U64, address + TIMESTAMP_OFFSET), receivedNs);
                        }
                        else
                        {
                            foreign++;
                        }
                    }
                    pool.release(rxAddresses, 0, received);
                    from.fillFromPool(received);
                }
            }
        }

        nextSequence = sequence;

        return sequence - first;
    }

    /**
     * @return the number the next run's first frame gets.
     */
    long nextSequence()
    {
        return nextSequence;
    }

    /**
     * A reflector swaps MACs (and may swap addresses and ports, which keeps the pair): same EtherType, protocol and
     * port pair either way round as the template.
     */
    private boolean isProbe(final long address, final int length)
    {
        if (length < TIMESTAMP_OFFSET + 8 || memory.get(ValueLayout.JAVA_SHORT_UNALIGNED, address + ETHER_TYPE_OFFSET) !=
            etherType || memory.get(ValueLayout.JAVA_BYTE, address + PROTOCOL_OFFSET) != protocol)
        {
            return false;
        }
        final int framePorts = memory.get(ValueLayout.JAVA_INT_UNALIGNED, address + PORTS_OFFSET);

        return framePorts == ports || Integer.rotateLeft(framePorts, 16) == ports;
    }
}
