package io.sluice.perf;

import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.PipelineCounter;
import io.sluice.pipeline.PipelineStats;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.ThreadingMode;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The l2fwd benchmark: the full pipeline (parse, filter with one rule set that reflects every frame, MAC swap, TX
 * out of the same interface) in shared mode on one core, over one or more queues (a socket each, on one UMEM).
 * Same contract as {@code rxdrop}: {@code READY} once it can receive, a {@code STAT} line a second, and on SIGINT
 * (or after {@code --duration}) a {@code TOTAL} line, then exit 0.
 * <pre>
 * ip netns exec NS ./sluice bench l2fwd --iface veth1 --queue 0 --cpu 1
 * </pre>
 * Allocation is read per pipeline thread with {@code ThreadMXBean.getThreadAllocatedBytes}; after the first two
 * seconds of traffic (class loading, JIT) it must stay at 0 bytes per packet.
 */
@Command(name = "l2fwd", mixinStandardHelpOptions = true,
    description = "Reflect everything on one or more queues through the full pipeline; print Mpps each second")
public final class L2FwdBench implements Callable<Integer>
{
    /**
     * The rule set: everything to user space, every frame reflected (MACs swapped).
     */
    static final String RULES = """
        steer_all: true
        filter: []
        default: reflect
        """;

    @Option(names = "--iface", required = true, description = "interface, in the current network namespace")
    String iface;

    @Option(names = "--queue", description = "first RX queue (default ${DEFAULT-VALUE})")
    int queue = 0;

    @Option(names = "--queues", description = "RX queues from --queue on, a socket each (default ${DEFAULT-VALUE})")
    int queues = 1;

    @Option(names = "--cpu", description = "CPU to pin the pipeline's thread to (default: not pinned)")
    Integer cpu;

    @Option(names = "--idle", description = "spin, yield or backoff (default: spin)")
    String idle = IdleMode.SPIN.label();

    @Option(names = "--batch", description = "frames per RX poll and per TX batch (default ${DEFAULT-VALUE})")
    int batch = PipelineConfig.TX_BATCH_DEFAULT;

    @Option(names = "--ring-size", description = "pipeline ring slots, a power of two (default ${DEFAULT-VALUE})")
    int ringSize = PipelineConfig.RING_SIZE_DEFAULT;

    @Option(names = "--rx-ring", description = "RX ring slots (default ${DEFAULT-VALUE})")
    int rxRing = XskConfig.RX_RING_SIZE_DEFAULT;

    @Option(names = "--fill-ring", description = "fill ring slots (default ${DEFAULT-VALUE})")
    int fillRing = XskConfig.FILL_RING_SIZE_DEFAULT;

    @Option(names = "--frame-size", description = "UMEM frame size, 2048 or 4096 (default ${DEFAULT-VALUE})")
    int frameSize = UmemConfig.FRAME_SIZE_DEFAULT;

    @Option(names = "--multi-buffer", description = "bind with XDP_USE_SG, for packets larger than a frame")
    boolean multiBuffer;

    @Option(names = "--zero-copy", description = "require, prefer or copy (default ${DEFAULT-VALUE})")
    String zeroCopy = ZeroCopyPolicy.PREFER.label();

    @Option(names = "--xdp-mode", description = "native or generic (default ${DEFAULT-VALUE})")
    String xdpMode = "native";

    @Option(names = "--duration", description = "seconds to run; 0 runs until SIGINT (default ${DEFAULT-VALUE})")
    int durationS = 0;

    private volatile boolean running = true;

    @Override
    public Integer call() throws InterruptedException
    {
        final SignalHandler stop = (signal) -> running = false;
        Signal.handle(new Signal("INT"), stop);
        Signal.handle(new Signal("TERM"), stop);

        final PipelineConfig pipeline = PipelineConfig.defaults()
            .withThreading(ThreadingMode.SHARED, 1, null == cpu ? new int[0] : new int[]{cpu})
            .withIdle(IdleMode.fromLabel(idle))
            .withBatches(batch, batch)
            .withRingSize(ringSize);
        final SluiceContext ctx = new SluiceContext()
            .iface(iface)
            .queues(QueueSockets.queues(queue, queues))
            .rules(RulesFile.parse("l2fwd rules", RULES))
            .xdpMode(XdpMode.fromLabel(xdpMode))
            .xskConfig(XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.fromLabel(zeroCopy))
                .withRings(rxRing, XskConfig.TX_RING_SIZE_DEFAULT, fillRing, XskConfig.COMPLETION_RING_SIZE_DEFAULT)
                .withMultiBuffer(multiBuffer))
            .umemConfig(UmemConfig.defaults().withFrameSize(frameSize))
            .pipelineConfig(pipeline);

        try (PacketProcessor processor = PacketProcessor.launch(ctx))
        {
            System.out.println("READY iface=" + iface + " queue=" + queue + " queues=" + queues + " driver=" +
                processor.ports()[0].driver() + " mode=" + processor.ports()[0].mode() + " xdp=" + ctx.xdpMode().label() + " pipeline=" +
                pipeline.describe().replace(' ', ',') + " frame_size=" + frameSize + " frames=" +
                processor.pipeline().umem().frameCount() + " multi_buffer=" + processor.ports()[0].multiBuffer());
            System.out.flush();

            final long startNs = System.nanoTime();
            final int tid = processor.pipeline().threadIds()[0];
            final long[] startTicks = TaskTicks.read(tid);
            final long[] startProcessTicks = TaskTicks.read(0);
            final long endNs = durationS > 0 ? startNs + durationS * 1_000_000_000L : Long.MAX_VALUE;
            final long[] agents = Arrays.stream(processor.pipeline().threads()).mapToLong(Thread::threadId).toArray();
            final PerSecondReporter reporter = new PerSecondReporter("tx",
                () -> processor.pipeline().stats().get(PipelineCounter.REFLECTED),
                () -> statExtra(processor), agents);
            reporter.start();
            while (running && System.nanoTime() < endNs)
            {
                Thread.sleep(Math.max(1, Math.min(100, (endNs - System.nanoTime()) / 1_000_000)));
            }
            reporter.stop();

            final long elapsedNs = System.nanoTime() - startNs;
            final long[] endTicks = TaskTicks.read(tid);
            final long[] endProcessTicks = TaskTicks.read(0);
            final Accounting accounting = processor.stop();
            final PipelineStats stats = accounting.pipeline();
            // the ingress ports come first
            final XskSocket[] ports = processor.ports();
            System.out.println(String.format(Locale.ROOT,
                "TOTAL rx_packets=%d tx_packets=%d duration_s=%.3f tx_mpps_avg=%.3f kernel_drops=%d rx_ring_full=%d " +
                "fill_ring_empty=%d tx_drops=%d rx_backpressure=%d " +
                "parse_errors=%d alloc_bytes_per_pkt=%.4f xdp_redirect=%d tx_kicks=%d tx_kick_eagain=%d tx_kick_ebusy=%d " +
                "tx_kick_enobufs=%d rx_empty_polls=%d cpu_user_pct=%.1f cpu_sys_pct=%.1f process_cpu_pct=%.1f balanced=%b frames=%s " +
                "alloc_bytes_warmup=%d",
                accounting.received(), stats.get(PipelineCounter.REFLECTED), elapsedNs / 1e9,
                stats.get(PipelineCounter.REFLECTED) * 1e3 / elapsedNs, accounting.kernelDropped(),
                accounting.rxRingFull(), accounting.fillEmpty(), stats.get(PipelineCounter.TX_DROPPED),
                stats.get(PipelineCounter.RX_BACKPRESSURE), stats.get(PipelineCounter.PARSE_ERROR),
                reporter.steadyAllocationPerPacket(), accounting.steered(),
                QueueSockets.sum(ports, queues, XskCounter.TX_KICKS),
                QueueSockets.sum(ports, queues, XskCounter.TX_KICK_EAGAIN),
                QueueSockets.sum(ports, queues, XskCounter.TX_KICK_EBUSY),
                QueueSockets.sum(ports, queues, XskCounter.TX_KICK_ENOBUFS),
                QueueSockets.sum(ports, queues, XskCounter.RX_EMPTY_POLLS), TaskTicks.percent(endTicks[0] - startTicks[0], elapsedNs),
                TaskTicks.percent(endTicks[1] - startTicks[1], elapsedNs),
                TaskTicks.percent(endProcessTicks[0] + endProcessTicks[1] - startProcessTicks[0] - startProcessTicks[1],
                    elapsedNs), accounting.balanced(), accounting.ownership().toString().replace(' ', ','),
                reporter.warmupAllocatedBytes()));
            System.out.flush();
        }

        return 0;
    }

    private static String statExtra(final PacketProcessor processor)
    {
        final PipelineStats stats = processor.pipeline().stats();

        return " rx_total=" + stats.get(PipelineCounter.RECEIVED) + " kernel_drops=" + processor.kernelDropped() +
            " tx_drops=" + stats.get(PipelineCounter.TX_DROPPED);
    }
}
