package io.sluice.pipeline.cli;

import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.StatusLine;
import io.sluice.pipeline.ThreadingMode;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.nio.file.Path;
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
    @Option(names = "--iface", required = true, paramLabel = "IF",
        description = "interface to attach to, in the current network namespace")
    String iface;

    @Option(names = "--rules", required = true, paramLabel = "FILE", description = "rules file (YAML)")
    Path rulesFile;

    @Option(names = "--queues", paramLabel = "LIST", description = "RX queues, e.g. 0-3 (default: ${DEFAULT-VALUE})")
    String queues = "0";

    @Option(names = "--threading", paramLabel = "MODE",
        description = "shared (one thread) or dedicated (rx, handlers, tx) (default: ${DEFAULT-VALUE})")
    String threading = ThreadingMode.SHARED.label();

    @Option(names = "--handlers", paramLabel = "N", description = "handler threads, dedicated mode (default: 1)")
    int handlers = 1;

    @Option(names = "--cores", paramLabel = "LIST",
        description = "CPUs to pin to: one (shared), or rx,handler...,tx (dedicated) (default: not pinned)")
    String cores;

    @Option(names = "--idle", paramLabel = "STRATEGY",
        description = "spin, yield or backoff (default: spin when pinned, else backoff)")
    String idle;

    @Option(names = "--xdp-mode", paramLabel = "MODE", description = "native or generic (default: ${DEFAULT-VALUE})")
    String xdpMode = XdpMode.NATIVE.label();

    @Option(names = "--zero-copy", paramLabel = "POLICY",
        description = "require, prefer or copy (default: ${DEFAULT-VALUE})")
    String zeroCopy = ZeroCopyPolicy.PREFER.label();

    @Option(names = "--frame-size", paramLabel = "BYTES", description = "UMEM frame size, 2048 or 4096 (default: ${DEFAULT-VALUE})")
    int frameSize = UmemConfig.FRAME_SIZE_DEFAULT;

    @Option(names = "--hugepages", paramLabel = "POLICY", description = "off, prefer or require (default: ${DEFAULT-VALUE})")
    String hugePages = HugePagePolicy.OFF.label();

    @Option(names = "--ring-size", paramLabel = "SLOTS",
        description = "pipeline ring slots, a power of two (default: ${DEFAULT-VALUE})")
    int ringSize = PipelineConfig.RING_SIZE_DEFAULT;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "stop after this long (default: run until a signal)")
    int durationS = 0;

    @Option(names = "--quiet", description = "no live status line")
    boolean quiet;

    @Override
    public Integer call() throws Exception
    {
        final Rules rules = RulesFile.load(rulesFile);
        final PacketProcessor.Settings settings = settings(rules);

        final CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), (signal) -> stop.countDown());
        Signal.handle(new Signal("TERM"), (signal) -> stop.countDown());

        try (PacketProcessor processor = PacketProcessor.launch(settings))
        {
            System.out.println("sluice: running on " + iface + " queues " + IntList.format(settings.queues()) +
                " (" + processor.ports()[0].mode() + ", xdp " + processor.program().attachment().name()
                .toLowerCase(java.util.Locale.ROOT) + "), pipeline " + settings.pipeline().describe() + ", rules " +
                rulesFile + ": " + rules.steering().size() + " steering, " + rules.filter().size() + " filter");
            System.out.flush();

            final long startNs = System.nanoTime();
            final long endNs = durationS > 0 ? startNs + TimeUnit.SECONDS.toNanos(durationS) : Long.MAX_VALUE;
            final StatusLine status = new StatusLine(processor, startNs);
            while (!stop.await(Math.min(1_000_000_000L, Math.max(0, endNs - System.nanoTime())),
                TimeUnit.NANOSECONDS) && System.nanoTime() - endNs < 0)
            {
                if (!quiet)
                {
                    System.out.println(status.next(System.nanoTime()));
                    System.out.flush();
                }
            }

            System.out.println("sluice: stopping: draining, detaching");
            final Accounting accounting = processor.stop();
            for (final String line : accounting.lines())
            {
                System.out.println(line);
            }
            System.out.flush();

            return accounting.balanced() ? 0 : 3;
        }
    }

    private PacketProcessor.Settings settings(final Rules rules)
    {
        final ThreadingMode mode = ThreadingMode.fromLabel(threading);
        final int[] pinned = null == cores ? new int[0] : IntList.parse("--cores", cores);
        final IdleMode idleMode = null != idle ? IdleMode.fromLabel(idle) :
            pinned.length > 0 ? IdleMode.SPIN : IdleMode.BACKOFF;
        final PipelineConfig pipeline = PipelineConfig.defaults()
            .withThreading(mode, ThreadingMode.SHARED == mode ? 1 : handlers, pinned)
            .withIdle(idleMode)
            .withRingSize(ringSize);
        final XskConfig xsk = XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.fromLabel(zeroCopy));
        final UmemConfig umem = UmemConfig.defaults().withFrameSize(frameSize)
            .withHugePages(HugePagePolicy.fromLabel(hugePages));

        return new PacketProcessor.Settings(iface, IntList.parse("--queues", queues), rules,
            XdpMode.fromLabel(xdpMode), xsk, umem, pipeline);
    }
}
