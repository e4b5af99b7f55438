package io.sluice.pipeline;

import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.blocking.FloodDetector;
import io.sluice.pipeline.rules.Rules;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.XskStatistics;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.xdp.SteeringProgram;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Sluice on an interface: the steering program attached with the rules file's XDP rules, one AF_XDP socket per
 * queue (and per queue of each interface the rules forward to) on one shared UMEM, the pipeline over them, and the
 * {@link Conductor} for everything off the data path. What {@code ./sluice run} runs. It only starts and stops
 * things: what to run is a {@link SluiceContext}, the data plane is the {@link Pipeline}'s agents, the control
 * plane the conductor's duties. Launch it on a thread in the interface's network namespace: the sockets and the
 * program's attachment resolve the interface there, and the conductor's thread inherits it.
 */
public final class PacketProcessor implements AutoCloseable
{
    private final SluiceContext ctx;
    private final CountersFile counters;
    private final SteeringProgram program;
    private final Umem umem;
    private final XskSocket[] ports;
    private final int ingressPorts;
    private final FrameCapture capture;
    private final Pipeline pipeline;
    private final Blocker blocker;
    private final ControlSocket control;
    private final MetricsServer metrics;
    private final StatsSampler sampler;
    private final Conductor conductor;
    private final RulesReloader reloader;
    private Accounting accounting;
    private boolean closed;

    /**
     * Open everything in order, each added to {@code opened} at once so a failure closes what came before.
     */
    private PacketProcessor(final SluiceContext ctx, final List<AutoCloseable> opened)
    {
        this.ctx = ctx;
        final Rules rules = ctx.rules();
        final List<String> forwardTo = ctx.forwardInterfaces();
        final int[] queues = ctx.queues();
        ingressPorts = queues.length;

        counters = opened(opened, null == ctx.instance() ?
            CountersFile.inMemory(CountersFile.CAPACITY_DEFAULT) :
            CountersFile.create(ctx.instance(), CountersFile.CAPACITY_DEFAULT));
        program = opened(opened, SteeringProgram.open());
        program.attach(ctx.iface(), ctx.xdpMode());
        umem = opened(opened, Umem.create(ctx.umemConfig()));

        ports = new XskSocket[ctx.sockets()];
        int port = 0;
        for (final int queue : queues)
        {
            ports[port++] = opened(opened, XskSocket.open(umem, ctx.iface(), queue, ctx.ingressXskConfig(), counters,
                Labels.and(ctx.labels(), "queue", queue)));
        }
        for (final String target : forwardTo)
        {
            for (final int queue : queues)
            {
                ports[port++] = opened(opened, XskSocket.open(umem, target, queue, ctx.egressXskConfig(), counters,
                    Labels.and(Labels.of("iface", target), "queue", queue)));
            }
        }

        capture = null == ctx.captureFile() ? null : opened(opened, FrameCapture.start(
            ctx.captureFile(), ctx.captureMaxFrames(), umem.memory(), counters, ctx.labels()));
        final OneToOneRingBuffer outbox = rules.triggers().isEmpty() ? null :
            FloodDetector.newOutbox(ctx.outboxBytes());
        // the rules are in the XDP tables before the pipeline starts: its filter goes with their generation (no
        // socket is in the XSKMAP yet, so nothing is steered), and every frame says which generation steered it
        program.tables().stamp(true);
        final int generation = program.tables().replaceAll(rules.steering(), rules.steerAll(),
            IntUnaryOperator.identity());
        pipeline = opened(opened, Pipeline.start(
            ctx, umem, ports, counters, capture, outbox, generation, program.stampPlacement()));
        blocker = opened(opened, new Blocker(program.blocklist(), rules.blocking(), rules.triggers(), outbox, counters,
            ctx.labels(), ctx.log()));
        sampler = new StatsSampler(counters, ctx.iface(), Arrays.copyOf(ports, ingressPorts), program,
            rules.steeringNames(), pipeline);
        reloader = new RulesReloader(ctx, pipeline, program.tables(), blocker, sampler);
        control = null == ctx.instance() ? null : opened(opened, ControlSocket.bind(
            CountersFile.fileOf(ctx.instance()).resolveSibling(ControlSocket.SOCKET_NAME),
            new ControlCommands(ctx.instance(), reloader, blocker, pipeline, program.tables())));
        metrics = SluiceContext.NO_METRICS_PORT == ctx.metricsPort() ? null :
            opened(opened, MetricsServer.start(ctx.metricsPort(), counters.view()));

        awaitFilled(ports, ingressPorts, ctx.drainTimeoutNs());
        for (int i = 0; i < ingressPorts; i++)
        {
            ports[i].registerWith(program);
        }

        conductor = opened(opened, new Conductor(blocker, control, sampler, metrics, reloader,
            rules.triggers().isEmpty() ? Conductor.IDLE_SLEEP_MS_DEFAULT : Conductor.IDLE_SLEEP_MS_DETECTING).start());
    }

    /**
     * Conclude the context, attach, open the sockets, start the pipeline and the conductor, then steer.
     *
     * @param ctx what to run; concluded here.
     * @return the running processor.
     * @throws IllegalArgumentException naming the option and the problem, before anything is opened.
     */
    public static PacketProcessor launch(final SluiceContext ctx)
    {
        ctx.conclude();
        final List<AutoCloseable> opened = new ArrayList<>();
        try
        {
            return new PacketProcessor(ctx, opened);
        }
        catch (final RuntimeException ex)
        {
            closeAll(opened, ex);
            throw ex;
        }
    }

    private static <T extends AutoCloseable> T opened(final List<AutoCloseable> opened, final T resource)
    {
        opened.add(resource);
        return resource;
    }

    private static void awaitFilled(final XskSocket[] ports, final int ingressPorts, final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        for (int i = 0; i < ingressPorts; i++)
        {
            while (0 == ports[i].fillFrames() && System.nanoTime() - deadlineNs < 0)
            {
                sleepMs(1);
            }
        }
    }

    /**
     * @return the concluded context it runs.
     */
    public SluiceContext context()
    {
        return ctx;
    }

    /**
     * @return the pipeline, for its live counters.
     */
    public Pipeline pipeline()
    {
        return pipeline;
    }

    /**
     * @return the instance's counters: every counter of the pipeline, the sockets and the program.
     */
    public CountersFile counters()
    {
        return counters;
    }

    /**
     * @return the interface and program as the watchdog last saw them.
     */
    public StatsSampler.Health health()
    {
        return sampler.health();
    }

    /**
     * @return the packet capture, or null.
     */
    public FrameCapture capture()
    {
        return capture;
    }

    /**
     * @return the blocker: the blocks the detector and operators added.
     */
    public Blocker blocker()
    {
        return blocker;
    }

    /**
     * @return the operators' control socket, or null without an instance name.
     */
    public ControlSocket control()
    {
        return control;
    }

    /**
     * @return the metrics endpoint, or null without a metrics port.
     */
    public MetricsServer metrics()
    {
        return metrics;
    }

    /**
     * Reload the rules file the running rules came from, as SIGHUP asks: done on the conductor, whose log says how
     * it went. Any thread, a signal handler's too.
     */
    public void reloadRules()
    {
        reloader.hangup();
    }

    /**
     * @return the rules running now.
     */
    public Rules rules()
    {
        return reloader.rules();
    }

    /**
     * @return the conductor.
     */
    public Conductor conductor()
    {
        return conductor;
    }

    /**
     * @return the steering program.
     */
    public SteeringProgram program()
    {
        return program;
    }

    /**
     * @return every socket, the ingress queues' first.
     */
    public XskSocket[] ports()
    {
        return ports.clone();
    }

    /**
     * @return frames the kernel steered to the ingress sockets but dropped for want of room, so far.
     */
    public long kernelDropped()
    {
        long dropped = 0;
        for (int i = 0; i < ingressPorts; i++)
        {
            dropped += ports[i].statistics().rxLost();
        }

        return dropped;
    }

    /**
     * Stop exactly: take the sockets out of the XSKMAP (new packets pass to the kernel, counted), let the RX rings
     * empty, drain the pipeline, detach the program, then read every counter. Idempotent.
     *
     * @return the final accounting.
     */
    public synchronized Accounting stop()
    {
        if (null != accounting)
        {
            return accounting;
        }

        for (final int queue : ctx.queues())
        {
            program.unregisterSocket(queue);
        }
        final long deadlineNs = System.nanoTime() + ctx.drainTimeoutNs();
        // a redirect already under way when the entry went lands in the RX ring by the end of its NAPI poll
        sleepMs(10);
        while (framesInRxRings() > 0 && System.nanoTime() - deadlineNs < 0)
        {
            sleepMs(1);
        }
        pipeline.stop(ctx.drainTimeoutNs());
        program.detach();
        // no packet reaches a block now: the conductor's last samples hold every block's and socket's final count
        conductor.close();
        reloader.stopped();
        if (null != capture)
        {
            // the handlers are done: what they offered is written and the file complete
            capture.close();
        }

        long dropped = 0;
        long ringFull = 0;
        long fillEmpty = 0;
        for (int i = 0; i < ingressPorts; i++)
        {
            final XskStatistics stats = ports[i].statistics();
            dropped += stats.rxLost();
            ringFull += stats.rxRingFull();
            fillEmpty += stats.rxFillRingEmptyDescs();
        }
        accounting = new Accounting(program.counters(), pipeline.stats(), dropped, ringFull, fillEmpty,
            framesInRxRings(), umem.ownership(), blocker.droppedPackets());

        return accounting;
    }

    private long framesInRxRings()
    {
        long frames = 0;
        for (int i = 0; i < ingressPorts; i++)
        {
            frames += ports[i].rxRingPackets();
        }

        return frames;
    }

    /**
     * Stop (if not stopped), close the sockets and the UMEM, and release the program. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final List<AutoCloseable> all = new ArrayList<>();
        all.add(counters);
        all.add(program);
        all.add(umem);
        all.addAll(List.of(ports));
        all.add(pipeline);
        all.add(blocker);
        if (null != control)
        {
            all.add(control);
        }
        if (null != metrics)
        {
            all.add(metrics);
        }
        all.add(conductor);
        RuntimeException failure = null;
        try
        {
            stop();
        }
        catch (final RuntimeException ex)
        {
            failure = ex;
        }
        closeAll(all, failure);
        if (null != failure)
        {
            throw failure;
        }
    }

    private static void closeAll(final List<AutoCloseable> opened, final Throwable cause)
    {
        for (int i = opened.size() - 1; i >= 0; i--)
        {
            try
            {
                opened.get(i).close();
            }
            catch (final Exception ex)
            {
                if (null != cause)
                {
                    cause.addSuppressed(ex);
                }
            }
        }
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
