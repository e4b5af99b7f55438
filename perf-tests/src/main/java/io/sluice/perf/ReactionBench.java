package io.sluice.perf;

import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SourceBlocklist;
import io.sluice.xsk.xdp.XdpMode;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ./sluice bench reaction}: how long a flood reaches user space before Sluice drops it in XDP. Sluice runs
 * with a {@code block_if} rule; each trial floods from a new source address and measures, with a thread polling the
 * block's own XDP drop counter:
 * <ul>
 *     <li><b>reaction</b>: from the flood's start (the generator's first send call, its program already loaded)
 *     to the first packet the block dropped in XDP; the sum of the four below;</li>
 *     <li><b>arrive</b>: from the flood's start to the receipt of its first frame (the receiver's batch
 *     timestamp);</li>
 *     <li><b>detect</b>: from that first frame to the receipt of the frame that took the source over the rate; at
 *     least the time the rate needs to fill the window's threshold;</li>
 *     <li><b>push</b>: from that receipt to the block being in the XDP program (the blocker's map update);</li>
 *     <li><b>next</b>: from the block to the first packet it dropped: the gap to the flood's next packet.</li>
 * </ul>
 * Each trial's block is removed before the next. Percentiles are HdrHistogram's, in microseconds.
 * <p>
 * The flood comes from a UDP socket on the test host, bound to the trial's own address, one datagram per
 * {@code sendto}, spaced evenly by spinning on the clock: Sluice's generator paces by repeating its program in
 * calls that cost the kernel about 26 ms each once it falls behind, and bursts that far apart would measure the
 * generator, not the reaction.
 * <pre>
 * ./sluice bench reaction --trials 50 --rate 50000 --pps 5000 --window-ms 100
 * </pre>
 */
@Command(name = "reaction", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Flood from new sources: time from flood start to the first drop in XDP, as a distribution")
public final class ReactionBench implements Callable<Integer>
{
    private static final String GEN = "10.227.0.1";
    private static final String DUT = "10.227.0.2";
    private static final int PORT = 9000;
    private static final long TIMEOUT_NS = 5_000_000_000L;
    private static final long POLL_NS = 20_000;
    private static final XskConfig RINGS = XskConfig.defaults().withRings(8192, 2048, 16384, 2048);

    @Option(names = "--trials", description = "floods, each from a new source (default ${DEFAULT-VALUE})")
    int trials = 50;

    @Option(names = "--rate", description = "the flood's rate, frames per second (default ${DEFAULT-VALUE})")
    long ratePps = 50_000;

    @Option(names = "--pps", description = "block_if pps: the rate over which a source is blocked " +
        "(default ${DEFAULT-VALUE})")
    long thresholdPps = 5_000;

    @Option(names = "--window-ms", description = "block_if window_ms (default ${DEFAULT-VALUE})")
    long windowMs = 100;

    @Option(names = "--flood-ms", description = "how long each flood lasts (default ${DEFAULT-VALUE})")
    long floodMs = 300;

    /**
     * The three distributions, in nanoseconds, for tests.
     *
     * @param reaction flood start to the first XDP drop.
     * @param arrive   flood start to the receipt of its first frame.
     * @param detect   that receipt to the receipt of the frame that crossed the rate.
     * @param push     that receipt to the block in XDP.
     * @param next     the block to its first drop.
     */
    record Result(Histogram reaction, Histogram arrive, Histogram detect, Histogram push, Histogram next)
    {
    }

    @Override
    public Integer call() throws Exception
    {
        measure();

        return 0;
    }

    /**
     * Run the trials and print the distributions.
     *
     * @return them.
     * @throws Exception if the test hosts or Sluice fail.
     */
    Result measure() throws Exception
    {
        if (trials < 1 || trials > 60_000 || ratePps < 1 || thresholdPps < 1 || windowMs < 1 || floodMs < 1 ||
            ratePps <= thresholdPps)
        {
            throw new IllegalArgumentException("need --trials 1..60000, --rate > --pps >= 1, --window-ms >= 1, " +
                "--flood-ms >= 1");
        }
        final String command = String.format(Locale.ROOT, "./sluice bench reaction --trials %d --rate %d --pps %d " +
            "--window-ms %d --flood-ms %d", trials, ratePps, thresholdPps, windowMs, floodMs);
        System.out.println(command);
        final Rules rules = RulesFile.parse("reaction rules", """
            steer:
              - {name: to-sluice, proto: udp, dst: %s/32, dst_port: %d}
            filter:
              - {name: warm-up, src: %s/32, action: count}
              - name: flood
                proto: udp
                action: count
                block_if: {pps: %d, window_ms: %d}
            blocking:
              ttl_s: 600
            """.formatted(DUT, PORT, GEN, thresholdPps, windowMs));
        final BlockTrigger trigger = rules.triggers().get(0);

        final Histogram reaction = new Histogram(3);
        final Histogram arrive = new Histogram(3);
        final Histogram detect = new Histogram(3);
        final Histogram push = new Histogram(3);
        final Histogram next = new Histogram(3);
        try (TestHosts hosts = new TestHosts("react", "rct0", GEN + "/24", "rct1", DUT + "/24"))
        {
            final SluiceContext ctx = new SluiceContext()
                .iface(hosts.dutIf())
                .queues(0)
                .rules(rules)
                .xdpMode(XdpMode.NATIVE)
                .xskConfig(RINGS)
                .umemConfig(UmemConfig.defaults())
                .pipelineConfig(PipelineConfig.defaults());
            try (PacketProcessor processor = NetNamespace.call(hosts.dutNs(),
                () -> PacketProcessor.launch(ctx.log((line) -> { }))))
            {
                // the pipeline's code compiled before the first trial
                hosts.send(hosts.udpToDut(GEN, DUT, 4000, PORT, 22), 1, 100_000, 100_000);
                final SourceBlocklist blocklist = processor.program().blocklist();
                final Blocker blocker = processor.blocker();
                final long floodFrames = Math.max(1, ratePps * floodMs / 1000);
                for (int i = 0; i < trials; i++)
                {
                    final Prefix source = Prefix.parse("10.227." + (1 + i / 250) + "." + (1 + i % 250) + "/32");
                    final String address = source.toString().substring(0, source.toString().indexOf('/'));
                    TestHosts.run("ip", "-n", hosts.genNs(), "addr", "add", address + "/32", "dev", hosts.genIf());
                    final DatagramChannel channel = NetNamespace.call(hosts.genNs(), () -> DatagramChannel.open()
                        .bind(new InetSocketAddress(address, 0)));
                    final InetSocketAddress target = new InetSocketAddress(DUT, PORT);
                    // the neighbour entry first, so the flood's first datagram is not held for ARP
                    channel.send(ByteBuffer.allocate(1), new InetSocketAddress(DUT, PORT + 1));
                    final long startNs = System.nanoTime();
                    final CompletableFuture<Long> flood = CompletableFuture.supplyAsync(
                        () -> flood(channel, target, floodFrames, ratePps, startNs));
                    final long firstDropNs = awaitFirstDrop(blocklist, source, startNs);
                    flood.join();
                    channel.close();
                    if (firstDropNs < 0)
                    {
                        throw new IllegalStateException("trial " + i + ": " + source + " not blocked within " +
                            TIMEOUT_NS / 1_000_000_000L + " s; blocks: " + blocker.blocks());
                    }
                    final Blocker.Block block = blocker.blocks().stream()
                        .filter((b) -> b.prefix().equals(source)).findFirst().orElseThrow();
                    reaction.recordValue(firstDropNs - startNs);
                    arrive.recordValue(Math.max(0, block.firstSeenNs() - startNs));
                    detect.recordValue(Math.max(0, block.detectedAtNs() - block.firstSeenNs()));
                    push.recordValue(Math.max(0, block.addedAtNs() - block.detectedAtNs()));
                    next.recordValue(Math.max(0, firstDropNs - block.addedAtNs()));
                    final String removed = blocker.submit("remove " + source).get();
                    if (!removed.startsWith("ok"))
                    {
                        throw new IllegalStateException("removing " + source + ": " + removed);
                    }
                }
            }
        }

        final double floorMs = (double)trigger.limit() / ratePps * 1000;
        System.out.printf(Locale.ROOT, "flood %,d pps from a new source per trial, block_if %,d pps over %d ms " +
            "(%,d frames): the rate fills it in %.2f ms at the earliest%n", ratePps, thresholdPps, windowMs,
            trigger.limit(), floorMs);
        System.out.println("          trials      p50 us      p90 us      p99 us      max us");
        print("reaction", reaction);
        print("arrive", arrive);
        print("detect", detect);
        print("push", push);
        print("next", next);
        System.out.println("reaction: flood start -> first packet its block dropped in XDP (per-CPU counter polled " +
            "every 20 us) = arrive: -> first flood frame received + detect: -> the frame over the rate + push: -> " +
            "block in the XDP map + next: -> the flood's next packet, dropped");
        return new Result(reaction, arrive, detect, push, next);
    }

    /**
     * @return the block_if's threshold in frames.
     */
    long limit()
    {
        return (long)((double)thresholdPps * windowMs / 1000.0);
    }

    private static void print(final String name, final Histogram histogram)
    {
        System.out.printf(Locale.ROOT, "%-8s %7d %11.1f %11.1f %11.1f %11.1f%n", name, histogram.getTotalCount(),
            histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(90) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getMaxValue() / 1e3);
    }

    /**
     * Poll every {@value #POLL_NS} ns for the source's block to appear in the program and drop its first packet; a
     * busy poll would take a core from the generator and the pipeline on a small machine.
     *
     * @return the time of the first drop seen, or -1 at the timeout.
     */
    private static long awaitFirstDrop(final SourceBlocklist blocklist, final Prefix source, final long startNs)
    {
        SourceBlocklist.Block block = null;
        while (System.nanoTime() - startNs < TIMEOUT_NS)
        {
            if (null == block)
            {
                block = blocklist.block(source);
            }
            if (null != block && blocklist.blockStat(block).packets() > 0)
            {
                return System.nanoTime();
            }
            LockSupport.parkNanos(POLL_NS);
        }

        return -1;
    }

    /**
     * Datagrams of 22 bytes (64-byte frames), evenly spaced: each sent when due, the thread spinning between.
     */
    private static long flood(
        final DatagramChannel channel, final InetSocketAddress target, final long frames, final long ratePps,
        final long startNs)
    {
        final ByteBuffer payload = ByteBuffer.allocateDirect(22);
        long sent = 0;
        try
        {
            for (long i = 0; i < frames; i++)
            {
                final long dueNs = startNs + i * 1_000_000_000L / ratePps;
                while (System.nanoTime() - dueNs < 0)
                {
                    Thread.onSpinWait();
                }
                payload.clear();
                sent += channel.send(payload, target) > 0 ? 1 : 0;
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        return sent;
    }
}
