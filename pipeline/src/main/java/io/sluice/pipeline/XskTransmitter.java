package io.sluice.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.util.Util;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.FramePool;
import org.agrona.concurrent.Agent;

import static io.sluice.pipeline.FrameEvent.ABSENT;

/**
 * The TX agent, last on the ring: batches the frames to send into their port's TX ring (the kernel is woken only
 * when the ring's {@code NEED_WAKEUP} flag asks), reaps the completion rings, and hands every frame that is done
 * with (sent, dropped, counted, malformed) back to the fill rings through the UMEM's pool. It is the only thread
 * that touches the fill, TX and completion rings and the pool, so none of them needs a lock.
 * <p>
 * <b>TX ring full.</b> A frame that does not fit waits in the port's batch and the agent stops taking events
 * (the handlers and then the receiver back up behind it) while it reaps completions and retries, for at most
 * {@code txRetryNs}; then the waiting frames are dropped and counted as {@link PipelineCounter#TX_DROPPED}.
 * Nothing waits for ever.
 * <p>
 * <b>Multi-buffer.</b> A packet that spans several UMEM frames is sent as one chain from the buffers it arrived in,
 * placed on the TX ring whole or not at all, and every one of its frames is recycled when it is dropped.
 */
final class XskTransmitter implements Agent
{
    private final RingBuffer<FrameEvent> ring;
    private final Sequence sequence = new Sequence(-1);
    private final Sequence[] handlerSequences;
    private final XskSocket[] ports;
    private final FramePool pool;
    private final Counters counters;
    private final long txRetryNs;
    private final int batch;
    private final int refillBatch;
    private final long[] receiveBudget;
    private final int cpu;
    private final int maxBuffers;
    // per port: the waiting packets' buffers (descriptors), and per packet its buffer count and outcome
    private final long[][] pendingAddresses;
    private final int[][] pendingLengths;
    private final int[][] pendingBuffers;
    private final byte[][] pendingOutcomes;
    private final int[] pendingCount;
    private final int[] pendingDescriptors;
    private final long[] recycled;
    private int recycledCount;
    private int pendingTotal;
    private long stallStartNs;
    private volatile long outstanding;
    private volatile int tid;

    /**
     * @param ring             the pipeline's ring.
     * @param handlerSequences the handlers' sequences; this agent follows the slowest.
     * @param ports            sockets, indexed by port.
     * @param pool             the UMEM's free frames; this agent becomes its only user.
     * @param counters         this agent's counters.
     * @param batch            frames per TX ring batch and per port.
     * @param txRetryNs        how long a full TX ring is retried before its waiting frames are dropped.
     * @param cpu              CPU to pin to, or -1.
     */
    XskTransmitter(
        final RingBuffer<FrameEvent> ring,
        final Sequence[] handlerSequences,
        final XskSocket[] ports,
        final FramePool pool,
        final Counters counters,
        final int batch,
        final long txRetryNs,
        final int cpu)
    {
        this.ring = ring;
        this.handlerSequences = handlerSequences;
        this.ports = ports;
        this.pool = pool;
        this.counters = counters;
        this.batch = batch;
        this.refillBatch = batch;
        receiveBudget = new long[ports.length];
        for (int i = 0; i < ports.length; i++)
        {
            receiveBudget[i] = receiveBudget(ports[i]);
        }
        this.txRetryNs = txRetryNs;
        this.cpu = cpu;
        maxBuffers = Pipeline.maxBuffers(ports);
        pendingAddresses = new long[ports.length][batch * maxBuffers];
        pendingLengths = new int[ports.length][batch * maxBuffers];
        pendingBuffers = new int[ports.length][batch];
        pendingOutcomes = new byte[ports.length][batch];
        pendingCount = new int[ports.length];
        pendingDescriptors = new int[ports.length];
        recycled = new long[FrameHandler.MAX_BATCH * maxBuffers];
    }

    @Override
    public void onStart()
    {
        tid = Agents.pin(cpu);
    }

    @Override
    public int doWork()
    {
        int work = reap();

        if (0 != stallStartNs)
        {
            flushAll();
            if (0 != pendingTotal)
            {
                if (System.nanoTime() - stallStartNs < txRetryNs)
                {
                    refill();
                    publishOutstanding();
                    return work;
                }
                dropPending();
            }
            stallStartNs = 0;
        }

        work += consume();
        flushAll();
        if (0 != pendingTotal && 0 == stallStartNs)
        {
            stallStartNs = System.nanoTime();
            counters.increment(PipelineCounter.TX_STALLS.id());
        }
        refill();
        publishOutstanding();

        return work;
    }

    private int reap()
    {
        final XskSocket[] ports = this.ports;
        int work = 0;
        for (final XskSocket port : ports)
        {
            work += port.completeToPool(Integer.MAX_VALUE);
            // copy mode sends a bounded number per wake-up: wake again while frames wait on the TX ring
            port.flushTx();
        }

        return work;
    }

    private int consume()
    {
        final long next = sequence.get() + 1;
        final long available = Math.min(
            Util.getMinimumSequence(handlerSequences), next + FrameHandler.MAX_BATCH - 1);
        if (available < next)
        {
            return 0;
        }

        final RingBuffer<FrameEvent> ring = this.ring;
        final int batch = this.batch;
        long s = next;
        for (; s <= available; s++)
        {
            final FrameEvent event = ring.get(s);
            final int port = event.egressPort;
            final int buffers = event.buffers;
            if (ABSENT == port)
            {
                if (1 == buffers)
                {
                    recycled[recycledCount++] = event.address;
                }
                else
                {
                    System.arraycopy(event.bufferAddresses, 0, recycled, recycledCount, buffers);
                    recycledCount += buffers;
                }
                continue;
            }
            int count = pendingCount[port];
            if (batch == count)
            {
                flush(port);
                count = pendingCount[port];
                if (batch == count)
                {
                    break;
                }
            }
            final int descriptors = pendingDescriptors[port];
            if (1 == buffers)
            {
                pendingAddresses[port][descriptors] = event.address;
                pendingLengths[port][descriptors] = event.length;
            }
            else
            {
                System.arraycopy(event.bufferAddresses, 0, pendingAddresses[port], descriptors, buffers);
                System.arraycopy(event.bufferLengths, 0, pendingLengths[port], descriptors, buffers);
            }
            pendingDescriptors[port] = descriptors + buffers;
            pendingBuffers[port][count] = buffers;
            pendingOutcomes[port][count] = (byte)(event.port == port ?
                PipelineCounter.REFLECTED.id() : PipelineCounter.FORWARDED.id());
            pendingCount[port] = count + 1;
            pendingTotal++;
        }
        sequence.set(s - 1);
        if (recycledCount > 0)
        {
            pool.release(recycled, 0, recycledCount);
            recycledCount = 0;
        }

        return (int)(s - next);
    }

    private void flushAll()
    {
        if (0 == pendingTotal)
        {
            return;
        }
        for (int port = 0; port < ports.length; port++)
        {
            if (pendingCount[port] > 0)
            {
                flush(port);
            }
        }
    }

    private void flush(final int port)
    {
        final int count = pendingCount[port];
        final int sent = 1 == maxBuffers ?
            ports[port].transmit(pendingAddresses[port], pendingLengths[port], 0, count) :
            ports[port].transmitPackets(pendingAddresses[port], pendingLengths[port], pendingBuffers[port], 0, 0,
                count);
        if (0 == sent)
        {
            return;
        }
        int sentDescriptors = sent;
        if (1 != maxBuffers)
        {
            sentDescriptors = 0;
            for (int i = 0; i < sent; i++)
            {
                sentDescriptors += pendingBuffers[port][i];
            }
        }
        final byte[] outcomes = pendingOutcomes[port];
        int reflected = 0;
        for (int i = 0; i < sent; i++)
        {
            if (PipelineCounter.REFLECTED.id() == outcomes[i])
            {
                reflected++;
            }
        }
        if (reflected > 0)
        {
            counters.add(PipelineCounter.REFLECTED.id(), reflected);
        }
        if (sent > reflected)
        {
            counters.add(PipelineCounter.FORWARDED.id(), sent - reflected);
        }
        final int left = count - sent;
        final int leftDescriptors = pendingDescriptors[port] - sentDescriptors;
        if (left > 0)
        {
            System.arraycopy(pendingAddresses[port], sentDescriptors, pendingAddresses[port], 0, leftDescriptors);
            System.arraycopy(pendingLengths[port], sentDescriptors, pendingLengths[port], 0, leftDescriptors);
            System.arraycopy(pendingBuffers[port], sent, pendingBuffers[port], 0, left);
            System.arraycopy(outcomes, sent, outcomes, 0, left);
        }
        pendingCount[port] = left;
        pendingDescriptors[port] = leftDescriptors;
        pendingTotal -= sent;
    }

    private void dropPending()
    {
        for (int port = 0; port < ports.length; port++)
        {
            final int count = pendingCount[port];
            if (count > 0)
            {
                pool.release(pendingAddresses[port], 0, pendingDescriptors[port]);
                counters.add(PipelineCounter.TX_DROPPED.id(), count);
                pendingCount[port] = 0;
                pendingDescriptors[port] = 0;
            }
        }
        pendingTotal = 0;
    }

    private void refill()
    {
        final FramePool pool = this.pool;
        final XskSocket[] ports = this.ports;
        final long[] receiveBudget = this.receiveBudget;
        for (int i = 0; i < ports.length; i++)
        {
            final int available = pool.available();
            if (available < refillBatch)
            {
                return;
            }
            final XskSocket port = ports[i];
            // refill in batches: each refill reads the fill ring's consumer word, which the kernel writes as it
            // receives; an idle loop that read it every time would slow the receive path on the kernel's core
            final long room = receiveBudget[i] - port.fillFrames();
            if (room >= refillBatch)
            {
                port.fillFromPool((int)Math.min(room, available));
            }
        }
    }

    /**
     * Frames a port may have on the receive side (fill ring, kernel, RX ring) at once. In copy mode the kernel copies
     * a frame into the UMEM before it finds the RX ring full and drops it, but drops at once, before the copy, when
     * it finds no fill frame. The RX ring bounds what can queue either way, so offering no more frames than it holds
     * loses no burst absorption, and under overload the kernel drops at the cheap point: on this machine's veth that
     * is worth about 8% of l2fwd throughput, the kernel's core spending less per dropped frame. In zero-copy mode the
     * driver posts fill frames to the NIC ahead of time, so the whole fill ring is offered.
     *
     * @param port a socket.
     * @return frames it may have on its receive side.
     */
    static long receiveBudget(final XskSocket port)
    {
        final int rx = port.config().rxRingSize();
        final int fill = port.config().fillRingSize();

        return port.zeroCopy() || 0 == rx ? fill : Math.min(rx, fill);
    }

    private void publishOutstanding()
    {
        // frames, as the sockets count them: a waiting multi-buffer packet is all of its buffers
        long onTx = 0;
        for (int i = 0; i < ports.length; i++)
        {
            onTx += pendingDescriptors[i] + ports[i].txFrames();
        }
        if (onTx != outstanding)
        {
            outstanding = onTx;
        }
    }

    /**
     * @return this agent's sequence: the last event it is done with.
     */
    Sequence sequence()
    {
        return sequence;
    }

    /**
     * @return frames waiting to be sent or in the kernel's TX path, as of the last duty cycle; from any thread.
     */
    long outstanding()
    {
        return outstanding;
    }

    int tid()
    {
        return tid;
    }

    @Override
    public String roleName()
    {
        return "sluice-tx";
    }
}
