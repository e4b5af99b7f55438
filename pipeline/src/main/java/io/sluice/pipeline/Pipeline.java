package io.sluice.pipeline;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.FloodDetector;
import io.sluice.pipeline.rules.Filter;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.Umem;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The running pipeline: a receiver, one or more handlers and a transmitter over a preallocated Disruptor ring of
 * {@link FrameEvent}s, on threads as the {@link ThreadingMode} says, all on one UMEM shared by every port (socket).
 * <p>
 * <b>Frame ownership.</b> A frame is in exactly one place: the UMEM's pool, a fill ring, the kernel's receive path,
 * an RX ring, the pipeline's ring (from the receiver's publication until the transmitter is done with the event),
 * a transmitter batch, a TX ring, or a completion ring. {@link Umem#ownership()} checks the sum once stopped.
 * <p>
 * <b>Stopping</b> drains: the receiver stops reading, the handlers and transmitter finish every event already
 * published, the transmitter waits (bounded) for the kernel to complete what it sent, then the threads end.
 */
public final class Pipeline implements AutoCloseable
{
    private final Umem umem;
    private final XskSocket[] ports;
    private final PipelineConfig config;
    private final RingBuffer<FrameEvent> ring;
    private final XskReceiver receiver;
    private final FrameHandler[] handlers;
    private final XskTransmitter transmitter;
    private final FloodDetector detector;
    private final Counters[] counters;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private boolean stopped;

    private Pipeline(
        final SluiceContext ctx,
        final Umem umem,
        final XskSocket[] ports,
        final CountersFile counterFile,
        final FrameCapture capture,
        final OneToOneRingBuffer outbox)
    {
        this.umem = umem;
        this.ports = ports.clone();
        config = ctx.pipelineConfig();
        final RuleSet rules = ctx.rules().filter();
        final int[][] forwardPorts = forwardPorts(ctx);
        final String labels = ctx.labels();
        final List<BlockTrigger> triggers = ctx.rules().triggers();
        ring = RingBuffer.createSingleProducer(FrameEvent::new, config.ringSize(), new BusySpinWaitStrategy());

        final int[] cores = config.cores();
        final boolean pinned = cores.length > 0;
        final boolean shared = ThreadingMode.SHARED == config.mode();
        final int handlerCount = config.handlers();

        counters = new Counters[handlerCount + 2];
        for (int i = 0; i < counters.length; i++)
        {
            final String agent = 0 == i ? "rx" : counters.length - 1 == i ? "tx" : "handler-" + (i - 1);
            counters[i] = new Counters(counterFile, Labels.and(labels, "agent", agent));
        }
        receiver = new XskReceiver(ring, this.ports, counters[0], config.rxBatch(), pinned ? cores[0] : -1);
        handlers = new FrameHandler[handlerCount];
        final Sequence[] handlerSequences = new Sequence[handlerCount];
        for (int i = 0; i < handlerCount; i++)
        {
            final Counters handlerCounters = counters[1 + i];
            final int cpu = !pinned ? -1 : shared ? cores[0] : cores[1 + i];
            handlers[i] = new FrameHandler(ring, umem.memory(), new Filter(rules, counterFile,
                Labels.and(labels, "agent", "handler-" + i)),
                new FrameActor(rules, forwardPorts, handlerCounters,
                    null == capture ? null : capture.producer("handler-" + i), ctx.captureRuleIndex()), i, handlerCount,
                cpu);
            handlerSequences[i] = handlers[i].sequence();
        }
        transmitter = new XskTransmitter(ring, handlerSequences, this.ports, umem.pool(), counters[handlerCount + 1],
            config.txBatch(), config.txRetryNs(), !pinned ? -1 : cores[cores.length - 1]);
        ring.addGatingSequences(transmitter.sequence());
        if (!triggers.isEmpty())
        {
            detector = new FloodDetector(ring, handlerSequences, rules.size(), triggers, ctx.rules().blocking(),
                outbox, counterFile, labels);
            ring.addGatingSequences(detector.sequence());
        }
        else
        {
            detector = null;
        }
    }

    /**
     * Build the pipeline, with a detector stage if the rules have {@code block_if} triggers, and start its threads.
     *
     * @param ctx         the concluded context: the rules, threads, cores and rings, the capture rule, the labels.
     * @param umem        the UMEM every port shares.
     * @param ports       sockets, their index being the port number events carry: the ingress queues', then per
     *                    forward target of the rules one per queue, as {@link PacketProcessor} opens them.
     * @param counterFile where the agents' counters go.
     * @param capture     where mirror rules' frames go, or null.
     * @param outbox      the detector's flags' ring, read by the {@link io.sluice.pipeline.blocking.Blocker}, or null
     *                    without triggers.
     * @return the running pipeline.
     */
    public static Pipeline start(
        final SluiceContext ctx,
        final Umem umem,
        final XskSocket[] ports,
        final CountersFile counterFile,
        final FrameCapture capture,
        final OneToOneRingBuffer outbox)
    {
        if (ports.length != ctx.sockets())
        {
            throw new IllegalArgumentException(ctx.sockets() + " ports are needed (" + ctx.queues().length +
                " queues, forward targets " + ctx.forwardInterfaces() + "), not " + ports.length);
        }
        for (final XskSocket port : ports)
        {
            if (port.umem() != umem)
            {
                throw new IllegalArgumentException(port + " does not use the pipeline's UMEM");
            }
        }
        if (!ctx.rules().triggers().isEmpty() && null == outbox)
        {
            throw new IllegalArgumentException("the rules have block_if triggers: the detector needs an outbox");
        }

        final Pipeline pipeline = new Pipeline(ctx, umem, ports, counterFile, capture, outbox);
        pipeline.startThreads();

        return pipeline;
    }

    /**
     * @param ctx the context.
     * @return per forward target of the rules, its port for each ingress queue (see {@link FrameActor}).
     */
    static int[][] forwardPorts(final SluiceContext ctx)
    {
        final int queues = ctx.queues().length;
        final int[][] forwardPorts = new int[ctx.forwardInterfaces().size()][queues];
        for (int target = 0; target < forwardPorts.length; target++)
        {
            for (int i = 0; i < queues; i++)
            {
                forwardPorts[target][i] = queues * (1 + target) + i;
            }
        }

        return forwardPorts;
    }

    private void startThreads()
    {
        if (ThreadingMode.SHARED == config.mode())
        {
            final List<Agent> agents = new ArrayList<>();
            agents.add(receiver);
            agents.add(handlers[0]);
            agents.add(transmitter);
            if (null != detector)
            {
                agents.add(detector);
            }
            startRunner(new CompositeAgent(agents));
        }
        else
        {
            startRunner(receiver);
            for (final FrameHandler handler : handlers)
            {
                startRunner(handler);
            }
            // the detector is light (a hash and a few stores a frame): it shares the transmitter's thread
            startRunner(null == detector ? transmitter : new CompositeAgent(transmitter, detector));
        }
    }

    private void startRunner(final Agent agent)
    {
        final AgentRunner runner = new AgentRunner(config.idle().newStrategy(), this::onError, null, agent);
        runners.add(runner);
        AgentRunner.startOnThread(runner, (task) ->
        {
            final Thread thread = new Thread(task, agent.roleName());
            thread.setDaemon(true);
            return thread;
        });
    }

    private void onError(final Throwable error)
    {
        if (firstError.compareAndSet(null, error))
        {
            System.err.println("sluice: pipeline agent failed: " + error);
        }
    }

    /**
     * Drain and stop: stop receiving, let every published frame reach its outcome, wait for the kernel to complete
     * what was sent, then end the threads. Idempotent.
     *
     * @param drainTimeoutNs how long to wait for the drain.
     * @return true if everything drained; false if frames were still in the kernel's TX path at the deadline (they
     * are then reported by {@link Umem#ownership()} as on the TX side).
     */
    public synchronized boolean stop(final long drainTimeoutNs)
    {
        if (stopped)
        {
            return true;
        }
        receiver.stopReceiving();
        final long deadlineNs = System.nanoTime() + drainTimeoutNs;
        boolean drained;
        while (!(drained = drained()) && System.nanoTime() - deadlineNs < 0)
        {
            Thread.onSpinWait();
            Thread.yield();
        }
        for (final AgentRunner runner : runners)
        {
            runner.close();
        }
        stopped = true;

        return drained;
    }

    private boolean drained()
    {
        return transmitter.sequence().get() == ring.getCursor() && 0 == transmitter.outstanding() &&
            (null == detector || detector.sequence().get() == ring.getCursor());
    }

    /**
     * Same as {@link #stop(long)} with a one-second drain.
     */
    @Override
    public void close()
    {
        stop(1_000_000_000L);
    }

    /**
     * @return a snapshot of every counter, summed over the agents.
     */
    public PipelineStats stats()
    {
        final long[] totals = new long[Counters.COUNT];
        for (final Counters set : counters)
        {
            for (int i = 0; i < totals.length; i++)
            {
                totals[i] += set.get(i);
            }
        }
        final Filter first = handlers[0].filter();
        final long[] hits = new long[first.ruleCount()];
        long defaultHits = 0;
        for (final FrameHandler handler : handlers)
        {
            final Filter filter = handler.filter();
            for (int i = 0; i < hits.length; i++)
            {
                hits[i] += filter.hits(i);
            }
            defaultHits += filter.defaultHits();
        }
        final long inRing = ring.getCursor() - transmitter.sequence().get();

        return new PipelineStats(totals, hits, defaultHits, inRing, transmitter.outstanding());
    }

    /**
     * @return kernel thread ids of the receiver, handlers and transmitter (equal in shared mode); 0 until started.
     */
    public int[] threadIds()
    {
        final int[] tids = new int[handlers.length + 2];
        tids[0] = receiver.tid();
        for (int i = 0; i < handlers.length; i++)
        {
            tids[1 + i] = handlers[i].tid();
        }
        tids[tids.length - 1] = transmitter.tid();

        return tids;
    }

    /**
     * @return the agents' threads (one in shared mode), for per-thread CPU time and allocation.
     */
    public Thread[] threads()
    {
        final Thread[] threads = new Thread[runners.size()];
        for (int i = 0; i < threads.length; i++)
        {
            threads[i] = runners.get(i).thread();
        }

        return threads;
    }

    /**
     * @return the first exception an agent threw, or null. Agents do not throw on the data path; this is for bugs.
     */
    public Throwable error()
    {
        return firstError.get();
    }

    /**
     * @return the detector stage, or null without {@code block_if} triggers.
     */
    public FloodDetector detector()
    {
        return detector;
    }

    public PipelineConfig config()
    {
        return config;
    }

    public XskSocket[] ports()
    {
        return ports.clone();
    }

    public Umem umem()
    {
        return umem;
    }
}
