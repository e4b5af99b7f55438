package io.sluice.perf;

import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuAffinity;

import java.lang.foreign.MemorySegment;
import java.time.Duration;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The perf harness's sender for frames the live-frame generator cannot send (it takes at most
 * {@link io.sluice.xsk.gen.TrafficGenerator#LIVE_FRAME_MAX_BYTES}, one page): an AF_XDP socket in copy mode with
 * multi-buffer ({@code XDP_USE_SG}) on the generator's veth end, transmitting a ring of prebuilt packets, each a
 * chain of 4096-byte UMEM frames, over and over. Copy-mode TX completes in order, so a packet is free to go again
 * once the completions have caught up with it; nothing is allocated while it runs.
 * <p>
 * The template is an IPv4/UDP frame without IP options; the source port takes 64 values in turn, as the live-frame
 * generator's {@code sourcePorts(40000, 64)} does, and the UDP checksum is left out (0).
 */
final class XskSender implements Traffic
{
    private static final int BUFFER_BYTES = 4096;
    private static final int PACKETS = 512;
    private static final int BATCH_PACKETS = 32;
    private static final int SOURCE_PORTS = 64;
    private static final int UDP_SOURCE_PORT_OFFSET = 34;
    private static final int UDP_CHECKSUM_OFFSET = 40;

    private final Umem umem;
    private final XskSocket socket;
    private final int cpu;
    private final int buffersPerPacket;
    private final long[] addresses;
    private final int[] lengths;
    private final int[] buffers;
    private final long[] completed = new long[BATCH_PACKETS * XskSocket.MAX_SKB_FRAGS];
    /**
     * Packets sent over every call, so the next call goes on with the packet after the last one sent (calls come
     * one after another, each from a thread started after the last one's ended).
     */
    private long sent;

    /**
     * Open in the calling thread's namespace.
     *
     * @param iface    the generator's veth end, its MTU large enough for {@code template}.
     * @param queue    its TX queue, which veth hands to the same RX queue of its peer.
     * @param template the frame, Ethernet header first, without FCS; the UDP source port is rewritten.
     * @param cpu      the CPU {@link #run} sends from, or -1 for any.
     */
    XskSender(final String iface, final int queue, final byte[] template, final int cpu)
    {
        this.cpu = cpu;
        buffersPerPacket = (template.length + BUFFER_BYTES - 1) / BUFFER_BYTES;
        final int frames = PACKETS * buffersPerPacket;
        umem = Umem.create(UmemConfig.defaults().withFrameSize(BUFFER_BYTES)
            .withFrameCount(Integer.highestOneBit(frames - 1) << 1));
        try
        {
            socket = XskSocket.open(umem, iface, queue, XskConfig.defaults()
                .withRings(64, 2048, 64, 2048).withZeroCopy(ZeroCopyPolicy.COPY).withMultiBuffer(true)
                .withPrefill(false));
        }
        catch (final RuntimeException ex)
        {
            umem.close();
            throw ex;
        }
        addresses = new long[frames];
        lengths = new int[frames];
        buffers = new int[PACKETS];
        if (frames != umem.pool().allocate(addresses, 0, frames))
        {
            close();
            throw new IllegalStateException("a UMEM of " + umem.frameCount() + " frames had not " + frames + " free");
        }
        final MemorySegment memory = umem.memory();
        for (int p = 0; p < PACKETS; p++)
        {
            buffers[p] = buffersPerPacket;
            final int port = 40_000 + p % SOURCE_PORTS;
            for (int b = 0; b < buffersPerPacket; b++)
            {
                final int i = p * buffersPerPacket + b;
                final int from = b * BUFFER_BYTES;
                lengths[i] = Math.min(BUFFER_BYTES, template.length - from);
                MemorySegment.copy(template, from, memory, JAVA_BYTE, addresses[i], lengths[i]);
            }
            final long first = addresses[p * buffersPerPacket];
            memory.set(JAVA_BYTE, first + UDP_SOURCE_PORT_OFFSET, (byte)(port >>> 8));
            memory.set(JAVA_BYTE, first + UDP_SOURCE_PORT_OFFSET + 1, (byte)port);
            // no UDP checksum (IPv4 allows it), rather than one the new port made wrong
            memory.set(JAVA_BYTE, first + UDP_CHECKSUM_OFFSET, (byte)0);
            memory.set(JAVA_BYTE, first + UDP_CHECKSUM_OFFSET + 1, (byte)0);
        }
    }

    /**
     * Send as fast as the kernel takes them, for {@code duration}, from this sender's CPU.
     *
     * @return packets sent in this call.
     */
    @Override
    public long run(final Duration duration)
    {
        return send(Long.MAX_VALUE, System.nanoTime() + duration.toNanos());
    }

    /**
     * Send {@code packets} as fast as the kernel takes them, from this sender's CPU, and wait for their completions.
     *
     * @param packets how many.
     * @param timeout at most this long.
     * @return packets sent, all of them unless the time ran out.
     */
    long send(final long packets, final Duration timeout)
    {
        final long endNs = System.nanoTime() + timeout.toNanos();
        final long sentNow = send(packets, endNs);
        while (socket.txFrames() > 0 && System.nanoTime() < endNs)
        {
            socket.complete(completed, 0, completed.length);
            socket.kickTx();
        }

        return sentNow;
    }

    private long send(final long packets, final long endNs)
    {
        if (cpu >= 0)
        {
            CpuAffinity.pinCurrentThread(cpu);
        }
        final int perPacket = buffersPerPacket;
        long queued = sent;
        final long start = queued;
        final long limit = packets == Long.MAX_VALUE ? Long.MAX_VALUE : start + packets;
        int next = (int)(queued % PACKETS);
        int loops = 0;
        while (queued < limit)
        {
            socket.complete(completed, 0, completed.length);
            // a packet partly completed is still in flight
            final long inFlight = (socket.txFrames() + perPacket - 1) / perPacket;
            final int free = (int)Math.min(Math.min(PACKETS - inFlight, limit - queued),
                Math.min(BATCH_PACKETS, PACKETS - next));
            if (free > 0)
            {
                final int placed = socket.transmitPackets(addresses, lengths, buffers, next * perPacket, next, free);
                queued += placed;
                next = (next + placed) % PACKETS;
            }
            if (0 == (++loops & 0xFF) && System.nanoTime() >= endNs)
            {
                break;
            }
        }

        sent = queued;

        return queued - start;
    }

    @Override
    public void close()
    {
        socket.close();
        umem.close();
    }
}
