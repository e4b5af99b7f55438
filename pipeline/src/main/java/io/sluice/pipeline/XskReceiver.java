package io.sluice.pipeline;

import com.lmax.disruptor.RingBuffer;
import io.sluice.xsk.socket.XskSocket;
import org.agrona.concurrent.Agent;

import io.sluice.xsk.xdp.StampPlacement;
import io.sluice.xsk.xdp.SteeringDescriptor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The RX agent: polls each port's RX ring and publishes the frames' descriptors into the pipeline's Disruptor ring.
 * It never waits for room: when the ring is full it stops reading, the RX rings fill, and the kernel drops and counts
 * ({@code XDP_STATISTICS} rx_ring_full), which Sluice reports. The only system call it may make is the receive
 * wake-up the fill ring asks for.
 * <p>
 * A multi-buffer packet (a jumbo frame on a socket bound with {@code XDP_USE_SG}) is taken whole from the RX ring
 * and published as one event, its buffers copied into the event's preallocated arrays; the socket leaves a chain
 * whose end is not yet in view on the ring, and flags one cut short, which the parser drops as
 * {@code chain_cut}.
 * <p>
 * Each frame's stamp says which generation of the rules steered it: its XDP metadata, the 8 bytes before it, or,
 * where the kernel refuses XDP metadata ({@link StampPlacement#FRONT}), its first 8 bytes, which the receiver strips
 * so the event's frame starts at its Ethernet header. The receiver copies the generation into the event and
 * clears the stamp's magic, so a frame that comes back unstamped is not taken for an old one.
 */
final class XskReceiver implements Agent
{
    private final RingBuffer<FrameEvent> ring;
    private final XskSocket[] ports;
    private final int[] queues;
    private final Counters counters;
    private final int batch;
    private final int cpu;
    private final MemorySegment umem;
    private final int stampFrontBytes;
    private final long[] addresses;
    private final int[] lengths;
    private final int[] buffers;
    private final int maxBuffers;
    private final AtomicIntegerArray published;
    private long prefetchSink;
    private volatile boolean receiving = true;
    private volatile int tid;

    /**
     * @param ring     the pipeline's ring; this agent is its only producer.
     * @param ports    sockets to poll, indexed by port.
     * @param stampPlacement where the steering program puts each frame's stamp.
     * @param counters this agent's counters.
     * @param batch    most frames read from one RX ring per duty cycle.
     * @param cpu      CPU to pin the agent's thread to, or -1.
     */
    XskReceiver(
        final RingBuffer<FrameEvent> ring,
        final XskSocket[] ports,
        final StampPlacement stampPlacement,
        final Counters counters,
        final int batch,
        final int cpu)
    {
        this.ring = ring;
        this.ports = ports;
        stampFrontBytes = stampPlacement.frontBytes();
        this.counters = counters;
        this.batch = batch;
        this.cpu = cpu;
        umem = ports[0].umem().memory();
        queues = new int[ports.length];
        for (int i = 0; i < ports.length; i++)
        {
            queues[i] = ports[i].queue();
        }
        maxBuffers = Pipeline.maxBuffers(ports);
        addresses = new long[batch * maxBuffers];
        lengths = new int[batch * maxBuffers];
        buffers = new int[batch];
        published = new AtomicIntegerArray(ports.length);
        for (int i = 0; i < ports.length; i++)
        {
            published.set(i, ports[i].rxRing().consumerIndex());
        }
    }

    @Override
    public void onStart()
    {
        tid = Agents.pin(cpu);
    }

    @Override
    public int doWork()
    {
        if (!receiving)
        {
            return 0;
        }

        final RingBuffer<FrameEvent> ring = this.ring;
        final XskSocket[] ports = this.ports;
        final long[] addresses = this.addresses;
        final int[] lengths = this.lengths;
        final int[] buffers = this.buffers;
        int work = 0;
        for (int port = 0; port < ports.length; port++)
        {
            final long room = ring.remainingCapacity();
            if (0 == room)
            {
                counters.increment(PipelineCounter.RX_BACKPRESSURE.id());
                break;
            }
            final int n = ports[port].receivePackets(addresses, lengths, buffers, (int)Math.min(batch, room));
            if (0 == n)
            {
                continue;
            }

            prefetchHeaders(addresses, buffers, n);

            // room was checked above and this agent is the only producer, so next(n) does not wait
            final long last = ring.next(n);
            final long first = last - n + 1;
            final long nowNs = System.nanoTime();
            final int queue = queues[port];
            final MemorySegment umem = this.umem;
            int unstamped = 0;
            int buffer = 0;
            for (int i = 0; i < n; i++)
            {
                final FrameEvent event = ring.get(first + i);
                final long address = addresses[buffer];
                event.address = address;
                event.length = lengths[buffer];
                final int entry = buffers[i];
                final int count = entry & XskSocket.BUFFERS_MASK;
                event.buffers = count;
                event.chainCut = 0 != (entry & XskSocket.CHAIN_CUT);
                if (count > 1)
                {
                    gather(event, addresses, lengths, buffer, count);
                }
                buffer += count;
                event.port = port;
                event.queue = queue;
                event.rxTimestampNs = nowNs;
                final long generation = 0 != stampFrontBytes ?
                    frontStamp(umem, event, stampFrontBytes) : stamp(umem, address);
                event.generation = generation;
                unstamped += FrameEvent.UNSTAMPED == generation ? 1 : 0;
            }
            ring.publish(first, last);
            // after the publication: the conductor reads it to know which frames the pipeline has been given
            published.lazySet(port, ports[port].rxRing().consumerIndex());
            counters.add(PipelineCounter.RECEIVED.id(), n);
            if (0 != unstamped)
            {
                counters.add(PipelineCounter.UNSTAMPED.id(), unstamped);
            }
            work += n;
        }

        return work;
    }

    private static void gather(
        final FrameEvent event, final long[] addresses, final int[] lengths, final int from, final int count)
    {
        final long[] eventAddresses = event.bufferAddresses;
        final int[] eventLengths = event.bufferLengths;
        int total = 0;
        for (int b = 0; b < count; b++)
        {
            eventAddresses[b] = addresses[from + b];
            final int length = lengths[from + b];
            eventLengths[b] = length;
            total += length;
        }
        event.totalLength = total;
    }

    /**
     * The stamp in the frame's first 8 bytes, stripped from the event's frame (and from its first buffer).
     */
    private static long frontStamp(final MemorySegment umem, final FrameEvent event, final int bytes)
    {
        final long address = event.address;
        if (event.length < bytes ||
            SteeringDescriptor.META_MAGIC !=
            umem.get(ValueLayout.JAVA_INT_UNALIGNED, address + SteeringDescriptor.META_MAGIC_OFFSET))
        {
            return FrameEvent.UNSTAMPED;
        }
        umem.set(ValueLayout.JAVA_INT_UNALIGNED, address + SteeringDescriptor.META_MAGIC_OFFSET, 0);
        event.address = address + bytes;
        event.length -= bytes;
        if (event.buffers > 1)
        {
            event.bufferAddresses[0] = address + bytes;
            event.bufferLengths[0] -= bytes;
            event.totalLength -= bytes;
        }

        return umem.get(ValueLayout.JAVA_INT_UNALIGNED, address + SteeringDescriptor.META_GENERATION) & 0xFFFF_FFFFL;
    }

    private static long stamp(final MemorySegment umem, final long address)
    {
        final long meta = address - SteeringDescriptor.META_LAYOUT.byteSize();
        if (meta < 0)
        {
            return FrameEvent.UNSTAMPED;
        }
        final int magic = umem.get(ValueLayout.JAVA_INT_UNALIGNED, meta + SteeringDescriptor.META_MAGIC_OFFSET);
        if (SteeringDescriptor.META_MAGIC != magic)
        {
            return FrameEvent.UNSTAMPED;
        }
        umem.set(ValueLayout.JAVA_INT_UNALIGNED, meta + SteeringDescriptor.META_MAGIC_OFFSET, 0);

        return umem.get(ValueLayout.JAVA_INT_UNALIGNED, meta + SteeringDescriptor.META_GENERATION) & 0xFFFF_FFFFL;
    }

    /**
     * @param port a port's index.
     * @return the RX ring index below which every frame of the port is in the pipeline's ring; any thread.
     */
    int publishedIndex(final int port)
    {
        return published.get(port);
    }

    /**
     * Bring each frame's first cache line (Ethernet, IP and L4 headers of an untagged frame) towards this core before
     * the handlers parse it. The kernel has just written the frame on the core that ran its receive path, so the
     * first read of it misses; here the reads are independent of one another and the core overlaps their misses,
     * where the parser, frame after frame, would wait for each in turn. Java has no prefetch instruction; a load
     * whose result is kept is the portable equivalent.
     */
    private void prefetchHeaders(final long[] addresses, final int[] buffers, final int n)
    {
        final MemorySegment umem = this.umem;
        long sum = 0;
        int buffer = 0;
        for (int i = 0; i < n; i++)
        {
            sum += umem.get(ValueLayout.JAVA_BYTE, addresses[buffer]);
            buffer += buffers[i] & XskSocket.BUFFERS_MASK;
        }
        prefetchSink = sum;
    }

    /**
     * Stop reading the RX rings, so that the pipeline can drain. Frames already in the RX rings stay there and are
     * reported as such.
     */
    void stopReceiving()
    {
        receiving = false;
    }

    /**
     * @return kernel thread id of the agent's thread once started, else 0.
     */
    int tid()
    {
        return tid;
    }

    @Override
    public String roleName()
    {
        return "sluice-rx";
    }
}
