package io.sluice.pipeline.cli;

import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.MetricsServer;
import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.StatsSampler;
import io.sluice.pipeline.StatusLine;
import io.sluice.pipeline.ThreadingMode;
import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.profile.NetDevice;
import io.sluice.pipeline.profile.Profile;
import io.sluice.pipeline.profile.ProfileCatalog;
import io.sluice.pipeline.profile.ProfileCheck;
import io.sluice.pipeline.profile.ProfileException;
import io.sluice.pipeline.profile.ProfileFile;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuList;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./sluice run}: the production command. Attaches to an interface, steers what the rules file says into
 * AF_XDP sockets, runs the pipeline, prints a status line each second, and on SIGINT or SIGTERM drains, detaches
 * and prints the final accounting.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Attach to an interface and run the pipeline until SIGINT or SIGTERM")
public final class RunCommand implements Callable<Integer>
{
    /**
     * Exit status when the interface or the program went away under Sluice, after the accounting so far.
     */
    static final int EXIT_FAULT = 4;

    /**
     * How often the watchdog's view is checked: the interface or program going away is reported within this plus
     * the sampler's period.
     */
    static final long WATCH_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * How often the status line is printed.
     */
    static final long STATUS_PERIOD_NS = TimeUnit.SECONDS.toNanos(1);

    @Option(names = "--iface", required = true, paramLabel = "IF",
        description = "interface to attach to, in the current network namespace")
    String iface;

    @Option(names = "--rules", required = true, paramLabel = "FILE", description = "rules file (YAML)")
    Path rulesFile;

    @Option(names = "--profile", paramLabel = "FILE",
        description = "NIC profile (default: the shipped profile for the interface's driver, from nic-profiles/); " +
            "the options below override its fields")
    Path profileFile;

    @Option(names = "--queues", paramLabel = "LIST",
        description = "RX queues, e.g. 0-3 (default: the profile's count, else 0)")
    String queues;

    @Option(names = "--threading", paramLabel = "MODE",
        description = "shared (one thread) or dedicated (rx, handlers, tx) (default: the profile's, else shared)")
    String threading;

    @Option(names = "--handlers", paramLabel = "N", description = "handler threads, dedicated mode (default: 1)")
    Integer handlers;

    @Option(names = "--cores", paramLabel = "LIST",
        description = "CPUs to pin to: one (shared), or rx,handler...,tx (dedicated), stages may share one: 1,0,1 " +
            "(default: the profile's, else not pinned)")
    String cores;

    @Option(names = "--idle", paramLabel = "STRATEGY",
        description = "spin, yield or backoff (default: the profile's, else spin when pinned, backoff when not)")
    String idle;

    @Option(names = "--xdp-mode", paramLabel = "MODE", description = "native or generic (default: the profile's, else native)")
    String xdpMode;

    @Option(names = "--zero-copy", paramLabel = "POLICY",
        description = "require, prefer or copy (default: the profile's, else prefer)")
    String zeroCopy;

    @Option(names = "--frame-size", paramLabel = "BYTES",
        description = "UMEM frame size, 2048 or 4096 (default: the profile's, else 4096)")
    Integer frameSize;

    @Option(names = "--hugepages", paramLabel = "POLICY",
        description = "off, prefer or require (default: the profile's, else off)")
    String hugePages;

    @Option(names = "--ring-size", paramLabel = "SLOTS",
        description = "pipeline ring slots, a power of two (default: ${DEFAULT-VALUE})")
    int ringSize = PipelineConfig.RING_SIZE_DEFAULT;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "stop after this long (default: run until a signal)")
    int durationS = 0;

    @Option(names = "--quiet", description = "no live status line")
    boolean quiet;

    @Option(names = "--instance", paramLabel = "NAME",
        description = "name of the counters file " + CountersFile.DIRECTORY_DEFAULT + "/NAME/counters.dat that " +
            "./sluice stats reads (default: the interface's name)")
    String instance;

    @Option(names = "--metrics-port", paramLabel = "PORT",
        description = "serve the counters for Prometheus at http://HOST:PORT/metrics")
    Integer metricsPort;

    @Option(names = "--capture", paramLabel = "FILE",
        description = "write captured frames to a pcap file (nanosecond timestamps): the frames of mirror rules, or " +
            "of --capture-rule")
    Path captureFile;

    @Option(names = "--capture-rule", paramLabel = "RULE",
        description = "capture the frames of this filter rule, whatever its action (default: the mirror rules')")
    String captureRule;

    @Option(names = "--capture-max", paramLabel = "N",
        description = "most frames to capture (default: ${DEFAULT-VALUE})")
    long captureMax = SluiceContext.CAPTURE_MAX_FRAMES_DEFAULT;

    @Override
    public Integer call() throws Exception
    {
        options(new SluiceContext()).checkOptions();
        final Rules rules = RulesFile.load(rulesFile);
        final Profile given = null == profileFile ? null : ProfileFile.load(profileFile);
        // the options' own errors first, before the interface is looked at (one queue stands in for its count)
        context(rules, null == given ? Profile.defaults() : given, 1, 0).conclude();
        final NetDevice device = NetDevice.read(iface);
        final Profile profile;
        if (null == given)
        {
            final ProfileCatalog.Choice choice = ProfileCatalog.shipped().choose(device);
            profile = choice.profile();
            System.out.println("sluice: " + choice.reason());
        }
        else
        {
            profile = given;
        }
        final SluiceContext ctx = context(rules, profile, device.rxQueues(), device.mtu());
        check(profile, device, ctx);

        final CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), (signal) -> stop.countDown());
        Signal.handle(new Signal("TERM"), (signal) -> stop.countDown());

        try (PacketProcessor processor = PacketProcessor.launch(ctx))
        {
            // as nginx and HAProxy do: SIGHUP reads the rules file again (./sluice rules reload does the same)
            Signal.handle(new Signal("HUP"), (signal) -> processor.reloadRules());
            final MetricsServer metrics = processor.metrics();
            System.out.println("sluice: running on " + iface + " queues " + CpuList.formatInOrder(ctx.queues()) +
                 " (" + processor.ports()[0].mode() + ", xdp " + processor.program().attachment().name()
                .toLowerCase(Locale.ROOT) + "), pipeline " + ctx.pipelineConfig().describe() + ", profile " +
                profile.source() + ", rules " +
                rulesFile + ": " + rules.steering().size() + " steering, " + rules.filter().size() + " filter");
            System.out.println("sluice: counters in " + processor.counters().file() + " (./sluice stats --instance " +
                processor.counters().instance() + ")" + (null == metrics ? "" : "; metrics at http://0.0.0.0:" +
                metrics.port() + "/metrics"));
            System.out.println("sluice: blocks: " + (rules.triggers().isEmpty() ? "no block_if rules" :
                rules.triggers().size() + " block_if rule" + (1 == rules.triggers().size() ? "" : "s") + " (" +
                String.join(", ", rules.triggers().stream().map(BlockTrigger::ruleName).toList()) + ")") +
                ", at most " + rules.blocking().maxBlocks() + ", " + rules.blocking().allow().size() +
                " allowlisted prefixes; ./sluice blocks --instance " + processor.counters().instance());
            System.out.flush();

            final long startNs = System.nanoTime();
            final long endNs = durationS > 0 ? startNs + TimeUnit.SECONDS.toNanos(durationS) : Long.MAX_VALUE;
            final StatusLine status = new StatusLine(processor, startNs);
            long nextStatusNs = startNs + STATUS_PERIOD_NS;
            boolean linkUp = true;
            String fault = null;
            while (!stop.await(Math.min(WATCH_PERIOD_NS, Math.max(0, endNs - System.nanoTime())),
                TimeUnit.NANOSECONDS) && System.nanoTime() - endNs < 0)
            {
                final StatsSampler.Health health = processor.health();
                if (SteeringProgram.Presence.INTERFACE_GONE == health.presence())
                {
                    fault = iface + " is gone (deleted, or moved out of this network namespace)";
                    break;
                }
                if (SteeringProgram.Presence.REPLACED == health.presence())
                {
                    fault = "the XDP program on " + iface + " is no longer Sluice's: another tool replaced or " +
                        "removed it (`ip link show dev " + iface + "`), so Sluice would receive nothing";
                    break;
                }
                if (health.linkUp() != linkUp)
                {
                    linkUp = health.linkUp();
                    System.out.println("sluice: " + iface + " link " + (linkUp ? "up again" : "down") + " (down " +
                        health.linkDowns() + " time" + (1 == health.linkDowns() ? "" : "s") + " so far; " +
                        "sluice_link_down_total)");
                    System.out.flush();
                }
                if (!quiet && System.nanoTime() - nextStatusNs >= 0)
                {
                    nextStatusNs += STATUS_PERIOD_NS;
                    System.out.println(status.next(System.nanoTime()));
                    System.out.flush();
                }
            }
            if (null != fault)
            {
                System.err.println("sluice run: " + fault + "; stopping");
            }

            System.out.println("sluice: stopping: draining, detaching");
            final Accounting accounting = processor.stop();
            if (null != processor.capture())
            {
                System.out.println("sluice: captured " + processor.capture().written() + " frames to " +
                    processor.capture().file());
            }
            for (final String line : accounting.lines())
            {
                System.out.println(line);
            }
            final Blocker blocker = processor.blocker();
            System.out.printf(Locale.ROOT, "blocks: added %d by the detector and %d by operators, %d " +
                "expired, %d removed, %d skipped at the cap, %d skipped as allowlisted; %d in place at the stop%n",
                blocker.addedByDetector(), blocker.addedManually(), blocker.expired(), blocker.removed(),
                blocker.skippedAtCap(), blocker.skippedAllowlisted(), blocker.blocks().size());
            System.out.flush();

            return !accounting.balanced() ? 3 : null != fault ? EXIT_FAULT : 0;
        }
    }

    /**
     * The options that need neither the files nor the interface.
     */
    private SluiceContext options(final SluiceContext ctx)
    {
        return ctx
            .instance(null == instance ? iface : instance)
            .metricsPort(null == metricsPort ? SluiceContext.NO_METRICS_PORT : metricsPort)
            .capture(captureFile, captureRule, captureMax);
    }

    /**
     * The profile against the interface, for what no option overrides: its queues against the interface's, its
     * frames against the MTU, its cores against the online CPUs.
     */
    private void check(final Profile profile, final NetDevice device, final SluiceContext ctx)
    {
        for (final int queue : ctx.queues())
        {
            if (null != queues && queue >= device.rxQueues())
            {
                throw new IllegalArgumentException("--queues " + queues + ": " + iface + " has RX queues 0.." +
                    (device.rxQueues() - 1));
            }
        }
        for (final ProfileException problem : ProfileCheck.check(profile, device, CpuList.online()))
        {
            final String field = problem.field();
            final boolean overridden = (null != queues && "queues".equals(field)) ||
                (null != frameSize && field.startsWith("frame.")) ||
                (null != cores && "threading.cores".equals(field));
            if (!overridden)
            {
                throw problem;
            }
        }
    }

    /**
     * The profile's settings, each overridden by its option when the option is given.
     *
     * @param rxQueues the interface's RX queues, for the profile's {@code queues: all}.
     * @param mtu      the interface's MTU, for the profile's {@code multi_buffer: auto}.
     */
    private SluiceContext context(final Rules rules, final Profile profile, final int rxQueues, final int mtu)
    {
        final PipelineConfig fromProfile = profile.pipelineConfig();
        final ThreadingMode mode = null != threading ? ThreadingMode.fromLabel(threading) : fromProfile.mode();
        final int handlerCount = ThreadingMode.SHARED == mode ? 1 :
            null != handlers ? handlers : ThreadingMode.DEDICATED == fromProfile.mode() ? fromProfile.handlers() : 1;
        final int[] pinned = null != cores ? CpuList.parse("--cores", cores) :
            null == threading && null == handlers ? fromProfile.cores() : new int[0];
        final IdleMode idleMode = null != idle ? IdleMode.fromLabel(idle) :
            profile.has("threading.idle") ? fromProfile.idle() : pinned.length > 0 ? IdleMode.SPIN : IdleMode.BACKOFF;
        final PipelineConfig pipeline = fromProfile
            .withThreading(mode, handlerCount, pinned)
            .withIdle(idleMode)
            .withRingSize(ringSize);

        XskConfig xsk = profile.xskConfig();
        if (null != zeroCopy)
        {
            xsk = xsk.withZeroCopy(ZeroCopyPolicy.fromLabel(zeroCopy));
        }
        UmemConfig umem = profile.umemConfig();
        if (null != frameSize)
        {
            umem = umem.withFrameSize(frameSize);
        }
        if (null != hugePages)
        {
            umem = umem.withHugePages(HugePagePolicy.fromLabel(hugePages));
        }
        xsk = xsk.withMultiBuffer(profile.multiBuffer(mtu, umem));

        return options(new SluiceContext())
            .iface(iface)
            .queues(queueList(profile.queueCount(rxQueues)))
            .rules(rules)
            .xdpMode(null != xdpMode ? XdpMode.fromLabel(xdpMode) : profile.xdpMode())
            .xskConfig(xsk)
            .umemConfig(umem)
            .pipelineConfig(pipeline);
    }

    private int[] queueList(final int count)
    {
        if (null != queues)
        {
            return CpuList.parseDistinct("--queues", queues);
        }
        final int[] list = new int[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = i;
        }

        return list;
    }
}
