package io.sluice.pipeline;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.BlockingPolicy;
import io.sluice.pipeline.blocking.FloodDetector;
import io.sluice.pipeline.rules.Filter;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.xsk.counters.CountersFile;
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
        final Umem umem,
        final XskSocket[] ports,
        final RuleSet rules,
        final int[][] forwardPorts,
        final PipelineConfig config,
        final CountersFile counterFile,
        final String labels,
        final FrameCapture capture,
        final int captureRule,
        final Detection detection)
    {
        this.umem = umem;
        this.ports = ports.clone();
        this.config = config;
        ring = RingBuffer.createSingleProducer(FrameEvent::new, config.ringSize(), new BusySpinWaitStrategy());

        final int[] cores = config.cores();
        final boolean pinned = cores.length > 0;
        final boolean shared = ThreadingMode.SHARED == config.mode();
        final int handlerCount = config.handlers();

        counters = new Counters[handlerCount + 2];
        for (int i = 0; i < counters.length; i++)
        {
            final String agent = 0 == i ? "rx" : counters.length - 1 == i ? "tx" : "handler-" + (i - 1);
            counters[i] = new Counters(counterFile, labels + (labels.isEmpty() ? "" : ",") + "agent=\"" + agent + "\"");
        }
        receiver = new XskReceiver(ring, this.ports, counters[0], config.rxBatch(), pinned ? cores[0] : -1);
        handlers = new FrameHandler[handlerCount];
        final Sequence[] handlerSequences = new Sequence[handlerCount];
        for (int i = 0; i < handlerCount; i++)
        {
            final Counters handlerCounters = counters[1 + i];
            final int cpu = !pinned ? -1 : shared ? cores[0] : cores[1 + i];
            handlers[i] = new FrameHandler(ring, umem.memory(), new Filter(rules, counterFile,
                labels + (labels.isEmpty() ? "" : ",") + "agent=\"handler-" + i + "\""),
                new FrameActor(rules, forwardPorts, handlerCounters,
                    null == capture ? null : capture.producer("handler-" + i), captureRule), i, handlerCount, cpu);
            handlerSequences[i] = handlers[i].sequence();
        }
        transmitter = new XskTransmitter(ring, handlerSequences, this.ports, umem.pool(), counters[handlerCount + 1],
            config.txBatch(), config.txRetryNs(), !pinned ? -1 : cores[cores.length - 1]);
        ring.addGatingSequences(transmitter.sequence());
        if (null != detection && !detection.triggers().isEmpty())
        {
            detector = new FloodDetector(ring, handlerSequences, rules.size(), detection.triggers(),
                detection.policy(), detection.outbox(), counterFile, labels);
            ring.addGatingSequences(detector.sequence());
        }
        else
        {
            detector = null;
        }
    }

    /**
     * The detector stage: the rules' {@code block_if} triggers and where its flags go.
     *
     * @param triggers the triggers; none means no detector.
     * @param policy   the detector's table size.
     * @param outbox   the flags' ring, read by the {@link io.sluice.pipeline.blocking.Blocker}.
     */
    public record Detection(List<BlockTrigger> triggers, BlockingPolicy policy, OneToOneRingBuffer outbox)
    {
    }

    /**
     * Build the pipeline, with a detector stage if {@code detection} has triggers, and start its threads.
     *
     * @param umem         the UMEM every port shares.
     * @param ports        sockets, their index being the port number events carry.
     * @param rules        the filter's rules.
     * @param forwardPorts per forward target of {@code rules}, its ports (see {@link FrameActor}).
     * @param config       threads, cores, rings.
     * @param counterFile  where the agents' counters go.
     * @param labels       labels every series carries, {@code iface="veth1"}.
     * @param capture      where mirror rules' frames go, or null.
     * @param captureRule  index of a rule whose frames are captured whatever its action, or
     *                     {@link FrameEvent#ABSENT}.
     * @param detection    the detector stage, or null.
     * @return the running pipeline.
     */
    public static Pipeline start(
        final Umem umem,
        final XskSocket[] ports,
        final RuleSet rules,
        final int[][] forwardPorts,
        final PipelineConfig config,
        final CountersFile counterFile,
        final String labels,
        final FrameCapture capture,
        final int captureRule,
        final Detection detection)
    {
        if (0 == ports.length)
        {
            throw new IllegalArgumentException("a pipeline needs at least one port");
        }
        for (final XskSocket port : ports)
        {
            if (port.umem() != umem)
            {
                throw new IllegalArgumentException(port + " does not use the pipeline's UMEM");
            }
        }
        if (forwardPorts.length != rules.forwardInterfaces().size())
        {
            throw new IllegalArgumentException("forward ports for " + forwardPorts.length + " targets, but the rules " +
                "forward to " + rules.forwardInterfaces());
        }

        final Pipeline pipeline = new Pipeline(umem, ports, rules, forwardPorts, config, counterFile, labels, capture,
            captureRule, detection);
        pipeline.startThreads();

        return pipeline;
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
