package io.sluice.pipeline;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.sluice.pipeline.parse.PacketParser;
import io.sluice.pipeline.rules.Filter;
import org.agrona.concurrent.Agent;

import java.lang.foreign.MemorySegment;

/**
 * A handler agent: parse, filter and act on the frames the receiver published, in place in the UMEM. With several
 * handlers each takes the sequences {@code s % shards == shard}, so they share the load without sharing an event,
 * and every one advances its sequence over all of them; the transmitter waits for the slowest.
 * <p>
 * The three stages run back to back on each event rather than as three Disruptor consumers: handing one event
 * between cores three times costs more cache misses than the stages themselves.
 * <p>
 * <b>Rules change between batches.</b> A reload hands over the next generation's {@link HandlerRules}; the handler
 * takes them up before its next batch and keeps the ones they replace, so that every frame is judged by the rules
 * of the generation that steered it (its {@link FrameEvent#generation}), the new or the old, never by a mix of the
 * two. The conductor does not hand over another generation before every frame of the old one is done.
 */
final class FrameHandler implements Agent
{
    /**
     * Most events one duty cycle handles, so that the transmitter gets going on a long burst.
     */
    static final int MAX_BATCH = 256;

    private final RingBuffer<FrameEvent> ring;
    private final Sequence sequence = new Sequence(-1);
    private final MemorySegment umem;
    private final PacketParser parser = new PacketParser();
    private volatile HandlerRules current;
    private HandlerRules previous;
    private volatile HandlerRules next;
    private final int shard;
    private final int shards;
    private final int cpu;
    private volatile int tid;

    /**
     * @param ring   the pipeline's ring.
     * @param umem   the UMEM the frames are in.
     * @param rules  this handler's filter (its own hit counters) and actor (its own outcome counters).
     * @param shard  this handler's index, 0..shards-1.
     * @param shards handlers in all.
     * @param cpu    CPU to pin to, or -1.
     */
    FrameHandler(
        final RingBuffer<FrameEvent> ring,
        final MemorySegment umem,
        final HandlerRules rules,
        final int shard,
        final int shards,
        final int cpu)
    {
        this.ring = ring;
        this.umem = umem;
        this.current = rules;
        this.shard = shard;
        this.shards = shards;
        this.cpu = cpu;
    }

    @Override
    public void onStart()
    {
        tid = Agents.pin(cpu);
    }

    @Override
    public int doWork()
    {
        final HandlerRules handedOver = this.next;
        if (null != handedOver)
        {
            previous = current;
            current = handedOver;
            this.next = null;
        }

        final long next = sequence.get() + 1;
        // single producer: the cursor is the highest published sequence
        final long available = Math.min(ring.getCursor(), next + MAX_BATCH - 1);
        if (available < next)
        {
            return 0;
        }

        final RingBuffer<FrameEvent> ring = this.ring;
        final MemorySegment umem = this.umem;
        final int shard = this.shard;
        final int shards = this.shards;
        final HandlerRules current = this.current;
        final HandlerRules previous = this.previous;
        // no generation is negative but UNSTAMPED, which goes to the newest rules
        final long previousGeneration = null == previous ? Long.MIN_VALUE : previous.generation();
        for (long s = next; s <= available; s++)
        {
            if (1 == shards || shard == (int)(s % shards))
            {
                final FrameEvent event = ring.get(s);
                final HandlerRules rules = event.generation == previousGeneration ? previous : current;
                if (0 == parser.parse(umem, event))
                {
                    rules.filter().match(event);
                }
                rules.actor().act(umem, event);
                event.judgedBy = rules.generation();
            }
        }
        // a release store: the transmitter's acquire read of this sequence sees the events' decisions
        sequence.set(available);

        return (int)(available - next + 1);
    }

    Sequence sequence()
    {
        return sequence;
    }

    /**
     * Hand over the next generation's rules, taken up before the handler's next batch. From the conductor, once
     * {@link #rules()} is the generation before (the last hand-over has been taken up).
     *
     * @param rules the rules.
     */
    void handOver(final HandlerRules rules)
    {
        next = rules;
    }

    /**
     * @return the newest rules the handler has taken up; any thread.
     */
    HandlerRules rules()
    {
        return current;
    }

    /**
     * @return the newest rules' filter; any thread.
     */
    Filter filter()
    {
        return current.filter();
    }

    int tid()
    {
        return tid;
    }

    @Override
    public String roleName()
    {
        return "sluice-handler-" + shard;
    }
}
