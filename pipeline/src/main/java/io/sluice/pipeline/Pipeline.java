package io.sluice.pipeline;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.FloodDetector;
import io.sluice.pipeline.rules.Filter;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.pipeline.rules.Rules;
import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.xdp.StampPlacement;
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
    private final CountersFile counterFile;
    private final FrameCapture capture;
    private final SluiceContext ctx;
    private final CounterSet[] retired;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private boolean stopped;

    private Pipeline(
        final SluiceContext ctx,
        final Umem umem,
        final XskSocket[] ports,
        final CountersFile counterFile,
        final FrameCapture capture,
        final OneToOneRingBuffer outbox,
        final long generation,
        final StampPlacement stampPlacement)
    {
        this.umem = umem;
        this.ports = ports.clone();
        this.ctx = ctx;
        this.counterFile = counterFile;
        this.capture = capture;
        config = ctx.pipelineConfig();
        final RuleSet rules = ctx.rules().filter();
        final String labels = ctx.labels();
        final List<BlockTrigger> triggers = ctx.rules().triggers();
        final int maxBuffers = maxBuffers(this.ports);
        ring = RingBuffer.createSingleProducer(
            () -> new FrameEvent(maxBuffers), config.ringSize(), new BusySpinWaitStrategy());

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
        receiver = new XskReceiver(
            ring, this.ports, stampPlacement, counters[0], config.rxBatch(), pinned ? cores[0] : -1);
        handlers = new FrameHandler[handlerCount];
        retired = new CounterSet[handlerCount];
        final Sequence[] handlerSequences = new Sequence[handlerCount];
        final HandlerRules[] first = handlerRules(generation, rules, ctx.captureRuleIndex(), null);
        for (int i = 0; i < handlerCount; i++)
        {
            final int cpu = !pinned ? -1 : shared ? cores[0] : cores[1 + i];
            handlers[i] = new FrameHandler(ring, umem.memory(), first[i], i, handlerCount, cpu);
            handlerSequences[i] = handlers[i].sequence();
            retired[i] = counterFile.allocate(Labels.and(handlerLabels(i), "rule", Filter.RETIRED_LABEL),
                Filter.HITS);
        }
        transmitter = new XskTransmitter(ring, handlerSequences, this.ports, umem.pool(), counters[handlerCount + 1],
            config.txBatch(), config.txRetryNs(), !pinned ? -1 : cores[cores.length - 1]);
        ring.addGatingSequences(transmitter.sequence());
        if (!triggers.isEmpty())
        {
            detector = new FloodDetector(ring, handlerSequences, generation, rules.size(), triggers,
                ctx.rules().blocking(), outbox, counterFile, labels);
            ring.addGatingSequences(detector.sequence());
        }
        else
        {
            detector = null;
        }
    }

    /**
     * @param ports the sockets.
     * @return the most buffers a packet spans on any of them: 1 unless they are multi-buffer.
     */
    static int maxBuffers(final XskSocket[] ports)
    {
        int max = 1;
        for (final XskSocket port : ports)
        {
            max = Math.max(max, port.maxBuffers());
        }

        return max;
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
     * @param generation  the generation of the XDP rules the context's filter goes with.
     * @param stampPlacement where the steering program puts each frame's stamp (it must be stamping).
     * @return the running pipeline.
     */
    public static Pipeline start(
        final SluiceContext ctx,
        final Umem umem,
        final XskSocket[] ports,
        final CountersFile counterFile,
        final FrameCapture capture,
        final OneToOneRingBuffer outbox,
        final long generation,
        final StampPlacement stampPlacement)
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

        final Pipeline pipeline = new Pipeline(
            ctx, umem, ports, counterFile, capture, outbox, generation, stampPlacement);
        pipeline.startThreads();

        return pipeline;
    }

    /**
     * @param ctx   the context, whose rules' forward targets have sockets.
     * @param rules a filter's rules, the context's or reloaded ones.
     * @return per forward target of the rules, its port for each ingress queue (see {@link FrameActor}).
     * @throws IllegalArgumentException if the rules forward to an interface the context opened no socket on.
     */
    static int[][] forwardPorts(final SluiceContext ctx, final RuleSet rules)
    {
        final int queues = ctx.queues().length;
        final List<String> opened = ctx.forwardInterfaces();
        final int[][] forwardPorts = new int[rules.forwardInterfaces().size()][queues];
        for (int target = 0; target < forwardPorts.length; target++)
        {
            final String iface = rules.forwardInterfaces().get(target);
            final int socket = opened.indexOf(iface);
            if (socket < 0)
            {
                throw new IllegalArgumentException("forward to " + iface + ": no socket on it");
            }
            for (int i = 0; i < queues; i++)
            {
                forwardPorts[target][i] = queues * (1 + socket) + i;
            }
        }

        return forwardPorts;
    }

    private HandlerRules[] handlerRules(
        final long generation, final RuleSet rules, final int captureRule, final HandlerRules[] carried)
    {
        final int[][] forwardPorts = forwardPorts(ctx, rules);
        final HandlerRules[] each = new HandlerRules[config.handlers()];
        for (int i = 0; i < each.length; i++)
        {
            each[i] = new HandlerRules(generation,
                new Filter(rules, counterFile, handlerLabels(i), null == carried ? null : carried[i].filter()),
                new FrameActor(rules, forwardPorts, counters[1 + i],
                    null == capture ? null : capture.producer("handler-" + i), captureRule));
        }

        return each;
    }

    private String handlerLabels(final int handler)
    {
        return Labels.and(ctx.labels(), "agent", "handler-" + handler);
    }

    /**
     * The pipeline's half of a reload: the next generation's rules, built for every handler (and the detector)
     * off the data path, to hand over.
     *
     * @param handlers per handler, its rules.
     * @param triggers the detector's, or null without one.
     */
    record Staged(HandlerRules[] handlers, FloodDetector.Triggers triggers)
    {
    }

    /**
     * Build the next generation's rules for every handler and the detector. Rules of the same names carry on
     * their counters. Nothing changes until {@link #handOver(Staged, long)}.
     *
     * @param generation the XDP rules' generation they go with.
     * @param rules      the reloaded rules.
     * @param triggerIds per trigger of the rules, the id its flags carry.
     * @return the staged rules.
     * @throws IllegalArgumentException if they forward to an interface with no socket, or have triggers and the
     *                                  pipeline no detector.
     */
    Staged stage(final long generation, final Rules rules, final int[] triggerIds)
    {
        if (null == detector && !rules.triggers().isEmpty())
        {
            throw new IllegalArgumentException("block_if of " + rules.triggers().get(0).ruleName() + ": the " +
                "instance started without block_if triggers, so without the detector stage; a first block_if " +
                "needs a restart");
        }
        final HandlerRules[] carried = new HandlerRules[handlers.length];
        for (int i = 0; i < handlers.length; i++)
        {
            carried[i] = handlers[i].rules();
        }
        final int captureRule = null == ctx.captureRule() ? ctx.captureRuleIndex() :
            rules.filter().indexOf(ctx.captureRule());
        final HandlerRules[] next = handlerRules(generation, rules.filter(), captureRule, carried);

        return new Staged(next, null == detector ? null : detector.triggers(generation, rules.filter().size(),
            rules.triggers(), triggerIds, detector.triggers()));
    }

    /**
     * Hand staged rules to every handler and the detector, and wait until each has taken them up: from then on a
     * frame stamped with their generation is judged by them, one stamped with the generation before by the rules
     * they replace. From the conductor, once the last hand-over is {@linkplain #awaitRetired retired}.
     *
     * @param staged    the rules.
     * @param timeoutNs how long to wait.
     * @return true if every stage took them up in time.
     */
    boolean handOver(final Staged staged, final long timeoutNs)
    {
        if (null != staged.triggers())
        {
            detector.handOver(staged.triggers());
        }
        for (int i = 0; i < handlers.length; i++)
        {
            handlers[i].handOver(staged.handlers()[i]);
        }
        final long deadlineNs = System.nanoTime() + timeoutNs;
        boolean taken;
        while (!(taken = takenUp(staged)) && System.nanoTime() - deadlineNs < 0)
        {
            Thread.onSpinWait();
            Thread.yield();
        }

        return taken;
    }

    private boolean takenUp(final Staged staged)
    {
        for (int i = 0; i < handlers.length; i++)
        {
            if (handlers[i].rules() != staged.handlers()[i])
            {
                return false;
            }
        }

        return null == staged.triggers() || detector.triggers() == staged.triggers();
    }

    /**
     * Wait until no frame of the generation before the last hand-over is left: the XDP program makes no more
     * (the caller has made the next generation live and waited out a grace period, so every frame it stamped is in
     * an RX ring), the receiver has published all the RX rings held, and every handler and the detector are past
     * them. Then free the counters of the rules that went, their counts added to the retired totals.
     *
     * @param old       the rules the last hand-over replaced, as {@link #stage} was given them.
     * @param next      the rules handed over.
     * @param timeoutNs how long to wait.
     * @return true if retired; false at the timeout, the old rules still in use and their counters kept.
     */
    boolean awaitRetired(final Staged old, final Staged next, final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final int[] produced = new int[ports.length];
        for (int i = 0; i < ports.length; i++)
        {
            produced[i] = ports[i].rxRing().producerIndex();
        }
        for (int i = 0; i < ports.length; i++)
        {
            while (receiver.publishedIndex(i) - produced[i] < 0)
            {
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    return false;
                }
                Thread.yield();
            }
        }
        final long cursor = ring.getCursor();
        for (final FrameHandler handler : handlers)
        {
            if (!awaitSequence(handler.sequence(), cursor, deadlineNs))
            {
                return false;
            }
        }
        if (null != detector && !awaitSequence(detector.sequence(), cursor, deadlineNs))
        {
            return false;
        }
        retireStaged(old, next);

        return true;
    }

    /**
     * Free the counters of {@code old}'s rules that {@code next} does not carry on, their counts added to the
     * retired totals, once no frame is judged by {@code old}: retired, rolled back, or the pipeline stopped.
     *
     * @param old  rules no frame is judged by any more.
     * @param next the rules that carry on their counters.
     */
    void retireStaged(final Staged old, final Staged next)
    {
        for (int i = 0; i < handlers.length; i++)
        {
            final long hits = old.handlers()[i].filter().retire(next.handlers()[i].filter(), counterFile);
            // the conductor is this counter's only writer
            retired[i].add(0, hits);
        }
        if (null != detector)
        {
            detector.retire(old.triggers(), next.triggers());
        }
    }

    private static boolean awaitSequence(final Sequence sequence, final long target, final long deadlineNs)
    {
        while (sequence.get() < target)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            Thread.yield();
        }

        return true;
    }

    /**
     * @return the rules every handler and the detector run now, as {@link #stage} returns them.
     */
    Staged running()
    {
        final HandlerRules[] each = new HandlerRules[handlers.length];
        for (int i = 0; i < handlers.length; i++)
        {
            each[i] = handlers[i].rules();
        }

        return new Staged(each, null == detector ? null : detector.triggers());
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
        final RuleSet rules = handlers[0].filter().ruleSet();
        final long[] hits = new long[rules.size()];
        long defaultHits = 0;
        long retiredHits = 0;
        final List<String> names = new ArrayList<>(rules.size());
        for (int i = 0; i < hits.length; i++)
        {
            names.add(rules.rule(i).name());
        }
        for (int h = 0; h < handlers.length; h++)
        {
            // during a hand-over a handler may run the rules before: its rules are summed by name
            final Filter filter = handlers[h].filter();
            for (int i = 0; i < hits.length; i++)
            {
                final int index = filter.ruleSet() == rules ? i : filter.ruleSet().indexOf(names.get(i));
                hits[i] += index < 0 ? 0 : filter.hits(index);
            }
            defaultHits += filter.defaultHits();
            retiredHits += retired[h].get(0);
        }
        final long inRing = ring.getCursor() - transmitter.sequence().get();

        return new PipelineStats(totals, List.copyOf(names), hits, defaultHits, retiredHits, inRing,
            transmitter.outstanding());
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
