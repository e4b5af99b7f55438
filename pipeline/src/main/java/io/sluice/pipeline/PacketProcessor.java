package io.sluice.pipeline;

import io.sluice.pipeline.blocking.BlockControl;
import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.blocking.FloodDetector;
import io.sluice.pipeline.rules.Action;
import io.sluice.pipeline.rules.FilterRule;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.pipeline.rules.Rules;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.XskStatistics;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Sluice on an interface: the steering program attached with the rules file's XDP rules, one AF_XDP socket per
 * queue (and per queue of each interface the rules forward to) on one shared UMEM, and the pipeline over them.
 * What {@code ./sluice run} runs. Create it on a thread in the interface's network namespace: sockets and the
 * program's attachment resolve the interface there.
 */
public final class PacketProcessor implements AutoCloseable
{
    /**
     * How long a stop waits for the RX rings to empty after the sockets leave the XSKMAP, and then for the pipeline
     * to drain: generous against a 2,048-slot ring at any rate the pipeline keeps up with.
     */
    public static final long DRAIN_TIMEOUT_NS = 2_000_000_000L;

    /**
     * The detector's outbox: 64 KiB, room for about 1,300 flags the blocker has not taken yet.
     */
    public static final int OUTBOX_BYTES = 64 * 1024;

    /**
     * Where the blocker's lines go unless {@link #launch(Settings, Consumer)} says: stdout, as {@code run} prints.
     */
    public static final Consumer<String> STDOUT_LOG = (line) ->
    {
        System.out.println("sluice: " + line);
        System.out.flush();
    };

    /**
     * What to run.
     *
     * @param iface      interface to attach to and receive from.
     * @param queues     its RX queues to receive from.
     * @param rules      the rules file.
     * @param xdpMode    native or generic attachment.
     * @param xskConfig  socket ring sizes, zero-copy policy, wake-ups.
     * @param umemConfig frame size and hugepages; the frame count is raised to what the rings can hold.
     * @param pipeline   threads, cores and ring sizes.
     * @param instance   the name of the instance's counters file ({@link CountersFile#fileOf(String)}), or null to
     *                   keep the counters in memory only.
     * @param capture    packet capture, or null.
     */
    public record Settings(
        String iface,
        int[] queues,
        Rules rules,
        XdpMode xdpMode,
        XskConfig xskConfig,
        UmemConfig umemConfig,
        PipelineConfig pipeline,
        String instance,
        Capture capture)
    {
        public Settings
        {
            queues = queues.clone();
            if (0 == queues.length)
            {
                throw new IllegalArgumentException("at least one queue is needed");
            }
        }

        /**
         * Settings with the counters in memory only.
         */
        public Settings(
            final String iface,
            final int[] queues,
            final Rules rules,
            final XdpMode xdpMode,
            final XskConfig xskConfig,
            final UmemConfig umemConfig,
            final PipelineConfig pipeline)
        {
            this(iface, queues, rules, xdpMode, xskConfig, umemConfig, pipeline, null, null);
        }
    }

    /**
     * Packet capture: {@code run --capture FILE [--capture-rule RULE] [--capture-max N]}.
     *
     * @param file      the pcap file.
     * @param rule      a filter rule whose frames are captured whatever its action, or null for the frames of the
     *                  rules whose action is {@code mirror}.
     * @param maxFrames most frames to capture.
     */
    public record Capture(Path file, String rule, long maxFrames)
    {
    }

    private final Settings settings;
    private final SteeringProgram program;
    private final Umem umem;
    private final XskSocket[] ports;
    private final int ingressPorts;
    private final Pipeline pipeline;
    private final CountersFile counters;
    private final StatsSampler sampler;
    private final FrameCapture capture;
    private final Blocker blocker;
    private final BlockControl control;
    private Accounting accounting;

    private PacketProcessor(
        final Settings settings,
        final SteeringProgram program,
        final Umem umem,
        final XskSocket[] ports,
        final int ingressPorts,
        final Pipeline pipeline,
        final CountersFile counters,
        final StatsSampler sampler,
        final FrameCapture capture,
        final Blocker blocker,
        final BlockControl control)
    {
        this.capture = capture;
        this.blocker = blocker;
        this.control = control;
        this.counters = counters;
        this.sampler = sampler;
        this.settings = settings;
        this.program = program;
        this.umem = umem;
        this.ports = ports;
        this.ingressPorts = ingressPorts;
        this.pipeline = pipeline;
    }

    /**
     * The UMEM a processor allocates: at least enough frames for every socket's fill and TX rings full and the
     * pipeline's ring full at once, so no ring ever waits for a frame another holds.
     *
     * @param umem             the configured UMEM.
     * @param sockets          AF_XDP sockets sharing it (queues times interfaces).
     * @param xsk              their ring sizes.
     * @param pipelineRingSize slots in the pipeline's ring.
     * @return the configured UMEM, its frame count raised if too small.
     */
    public static UmemConfig umemFor(
        final UmemConfig umem, final int sockets, final XskConfig xsk, final int pipelineRingSize)
    {
        final int framesWanted = sockets * (xsk.fillRingSize() + xsk.txRingSize()) + pipelineRingSize;
        return umem.frameCount() >= framesWanted ? umem : umem.withFrameCount(framesWanted);
    }

    /**
     * Attach, open the sockets, start the pipeline, then steer.
     *
     * @param settings what to run.
     * @return the running processor.
     */
    public static PacketProcessor launch(final Settings settings)
    {
        return launch(settings, STDOUT_LOG);
    }

    /**
     * Attach, open the sockets, start the pipeline and the blocker, then steer.
     *
     * @param settings what to run.
     * @param log      where the blocker's lines go: a block added or removed.
     * @return the running processor.
     */
    public static PacketProcessor launch(final Settings settings, final Consumer<String> log)
    {
        final Rules rules = settings.rules();
        final List<String> forwardTo = rules.filter().forwardInterfaces();
        final int[] queues = settings.queues();
        // the transmitter fills the fill rings, to a budget (see XskTransmitter.receiveBudget); a receiving socket
        // that may bind in zero-copy is stocked before bind too, as the driver takes its buffers then (igb) or
        // counts an empty ring until the first refill (virtio_net): its budget is the whole fill ring
        final XskConfig xsk = settings.xskConfig().withPrefill(false);
        final XskConfig rxXsk = xsk.withPrefill(ZeroCopyPolicy.COPY != xsk.zeroCopy());
        final int sockets = queues.length * (1 + forwardTo.size());
        final UmemConfig umemConfig = umemFor(settings.umemConfig(), sockets, xsk, settings.pipeline().ringSize());

        final int captureRule = captureRule(settings);
        final List<AutoCloseable> opened = new ArrayList<>();
        try
        {
            final CountersFile counters = null == settings.instance() ?
                CountersFile.inMemory(CountersFile.CAPACITY_DEFAULT) :
                CountersFile.create(settings.instance(), CountersFile.CAPACITY_DEFAULT);
            opened.add(counters);
            final SteeringProgram program = SteeringProgram.open();
            opened.add(program);
            program.attach(settings.iface(), settings.xdpMode());
            final Umem umem = Umem.create(umemConfig);
            opened.add(umem);

            final XskSocket[] ports = new XskSocket[sockets];
            int port = 0;
            for (final int queue : queues)
            {
                ports[port] = XskSocket.open(umem, settings.iface(), queue, rxXsk, counters,
                    "iface=\"" + settings.iface() + "\",queue=\"" + queue + "\"");
                opened.add(ports[port++]);
            }
            final int[][] forwardPorts = new int[forwardTo.size()][queues.length];
            for (int target = 0; target < forwardTo.size(); target++)
            {
                for (int i = 0; i < queues.length; i++)
                {
                    ports[port] = XskSocket.open(umem, forwardTo.get(target), queues[i], xsk, counters,
                        "iface=\"" + forwardTo.get(target) + "\",queue=\"" + queues[i] + "\"");
                    opened.add(ports[port]);
                    forwardPorts[target][i] = port++;
                }
            }

            final FrameCapture capture = null == settings.capture() ? null : FrameCapture.start(
                settings.capture().file(), settings.capture().maxFrames(), umem.memory(), counters,
                "iface=\"" + settings.iface() + "\"");
            if (null != capture)
            {
                opened.add(capture);
            }
            final String labels = "iface=\"" + settings.iface() + "\"";
            final OneToOneRingBuffer outbox = rules.triggers().isEmpty() ? null : FloodDetector.newOutbox(OUTBOX_BYTES);
            final Pipeline pipeline = Pipeline.start(umem, ports, rules.filter(), forwardPorts, settings.pipeline(),
                counters, labels, capture, captureRule,
                new Pipeline.Detection(rules.triggers(), rules.blocking(), outbox));
            opened.add(pipeline);
            final Blocker blocker = new Blocker(program.tables(), rules.blocking(), rules.triggers(), outbox, counters,
                labels, log).start();
            opened.add(blocker);
            final BlockControl control = null == settings.instance() ? null : BlockControl.start(
                CountersFile.fileOf(settings.instance()).resolveSibling(BlockControl.SOCKET_NAME), blocker);
            if (null != control)
            {
                opened.add(control);
            }

            awaitFilled(ports, queues.length);
            program.tables().replaceAll(rules.steering());
            program.tables().steerAll(rules.steerAll());
            for (int i = 0; i < queues.length; i++)
            {
                ports[i].registerWith(program);
            }

            final StatsSampler sampler = new StatsSampler(counters, settings.iface(),
                Arrays.copyOf(ports, queues.length), program, rules.steeringNames(), pipeline);

            return new PacketProcessor(settings, program, umem, ports, queues.length, pipeline, counters, sampler,
                capture, blocker, control);
        }
        catch (final RuntimeException ex)
        {
            closeAll(opened, ex);
            throw ex;
        }
    }

    /**
     * Check the capture settings against the rules: mirror rules need a capture file, a capture needs frames to
     * take, a capture rule must exist.
     *
     * @param settings what to run.
     * @return the index of the capture rule, or {@link FrameEvent#ABSENT}.
     * @throws IllegalArgumentException naming the option and the problem.
     */
    public static int captureRule(final Settings settings)
    {
        final RuleSet filter = settings.rules().filter();
        final boolean mirrors = filter.rules().stream().anyMatch((rule) -> Action.MIRROR == rule.action());
        if (null == settings.capture())
        {
            if (mirrors)
            {
                throw new IllegalArgumentException("the rules file has mirror rules: give --capture FILE for their " +
                    "frames");
            }
            return FrameEvent.ABSENT;
        }
        if (null == settings.capture().rule())
        {
            if (!mirrors)
            {
                throw new IllegalArgumentException("--capture " + settings.capture().file() + ": name the frames " +
                    "with --capture-rule RULE, or give a filter rule action: mirror");
            }
            return FrameEvent.ABSENT;
        }
        final int index = filter.indexOf(settings.capture().rule());
        if (index < 0)
        {
            throw new IllegalArgumentException("--capture-rule " + settings.capture().rule() + ": no filter rule of " +
                "that name (rules: " + String.join(", ", filter.rules().stream().map(FilterRule::name).toList()) +
                ")");
        }

        return index;
    }

    private static void awaitFilled(final XskSocket[] ports, final int ingressPorts)
    {
        final long deadlineNs = System.nanoTime() + DRAIN_TIMEOUT_NS;
        for (int i = 0; i < ingressPorts; i++)
        {
            while (0 == ports[i].fillFrames() && System.nanoTime() - deadlineNs < 0)
            {
                sleepMs(1);
            }
        }
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
    public BlockControl control()
    {
        return control;
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

        for (final int queue : settings.queues())
        {
            program.unregisterSocket(queue);
        }
        final long deadlineNs = System.nanoTime() + DRAIN_TIMEOUT_NS;
        // a redirect already under way when the entry went lands in the RX ring by the end of its NAPI poll
        sleepMs(10);
        while (framesInRxRings() > 0 && System.nanoTime() - deadlineNs < 0)
        {
            sleepMs(1);
        }
        pipeline.stop(DRAIN_TIMEOUT_NS);
        program.detach();
        if (null != control)
        {
            control.close();
        }
        // no packet reaches a block now: its last sample holds every block's final count, for the accounting
        blocker.close();
        if (null != capture)
        {
            // the handlers are done: what they offered is written and the file complete
            capture.close();
        }
        // the last sample, after the last frame: the counters file holds the final counts
        sampler.stop();

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
            framesInRxRings(), umem.ownership(), settings.rules().filter().rules().stream().map(FilterRule::name).toList(),
            blocker.droppedPackets());

        return accounting;
    }

    private long framesInRxRings()
    {
        long frames = 0;
        for (int i = 0; i < ingressPorts; i++)
        {
            frames += ports[i].rxRingFrames();
        }

        return frames;
    }

    /**
     * Stop (if not stopped), close the sockets and the UMEM, and release the program.
     */
    @Override
    public void close()
    {
        final List<AutoCloseable> all = new ArrayList<>();
        all.add(counters);
        all.add(program);
        all.add(blocker);
        if (null != control)
        {
            all.add(control);
        }
        all.add(umem);
        all.addAll(List.of(ports));
        all.add(pipeline);
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
