package io.sluice.perf;

import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.PipelineCounter;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.StatusLine;
import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./sluice demo}: Sluice end to end on a test host it makes itself, in about 15 seconds.
 * <ol>
 *     <li>Two network namespaces joined by a veth pair: a test host and the host Sluice runs on.</li>
 *     <li>Sluice attaches with a rules file that steers one UDP flow to user space and reflects it.</li>
 *     <li>The test host sends that flow (sequence-numbered, timestamped), a second flow that a kernel UDP socket
 *     receives, and a few malformed frames.</li>
 *     <li>The reflected frames come back to the test host, where their round trip goes into an HdrHistogram.</li>
 *     <li>A status line each second; then the summary: rate, round-trip percentiles, the kernel socket's count and
 *     the accounting table, which must add up exactly.</li>
 *     <li>Everything is torn down, on Ctrl-C too.</li>
 * </ol>
 * With {@code --attack}, the reflect rule carries a {@code block_if}, and from the second second a flood from
 * another source ({@value #ATTACKER}) joins the flow: the detector flags it, the blocker blocks it in XDP, the
 * flow goes on, and the block expires after its TTL, after which a trickle from the attacker is reflected again.
 */
@Command(name = "sluice demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run Sluice on a self-made test host: steer, reflect, account")
public final class Demo implements Callable<Integer>
{
    static final String GEN_IF = "dmg0";
    static final String DUT_IF = "dmd0";
    static final String GEN_ADDR = "10.216.0.1";
    static final String DUT_ADDR = "10.216.0.2";
    static final int STEERED_PORT = 7000;
    static final int KERNEL_PORT = 7001;
    static final String ATTACKER = "10.216.0.66";
    static final int ATTACK_TTL_S = 4;
    static final int ATTACK_START_S = 2;
    static final int ATTACK_S = 2;

    /**
     * The attacker sends from the other CPU than the steered flow's generator, which would otherwise fall behind its
     * pace and catch up in bursts over the block_if's rate.
     */
    static final int ATTACK_CPU = 1;

    /**
     * Where the generator puts the sequence number and timestamp: the UDP payload of an untagged IPv4 frame.
     */
    private static final int PAYLOAD_OFFSET = 42;
    private static final long MAX_RTT_NS = 60_000_000_000L;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int GEN_ADDR_HOST_ORDER = 10 << 24 | 216 << 16 | 1;
    private static final int IPV4_DST_OFFSET = 30;

    /**
     * Rings deep enough for the generator's bursts: paced above ~40 kpps it sends in bursts of about 26 ms worth of
     * frames (one BPF_PROG_TEST_RUN call each), which the RX ring must hold while the pipeline reflects them.
     */
    private static final XskConfig DEMO_RINGS = XskConfig.defaults().withRings(4096, 2048, 8192, 2048);

    /**
     * --attack: above ~100 kpps the generator's bursts are ~26 ms of the flood, which the RX ring holds too.
     */
    private static final XskConfig ATTACK_RINGS = XskConfig.defaults().withRings(8192, 2048, 16384, 2048);

    static final String RULES = """
        # The demo's rules: UDP to port 7000 goes to Sluice, everything else to the kernel.
        steer:
          - name: demo-flow
            proto: udp
            dst: 10.216.0.2/32
            dst_port: 7000
            action: steer

        # Sluice reflects the flow back to its sender, addresses and ports swapped.
        filter:
          - name: reflect-demo-flow
            proto: udp
            dst_port: 7000
            action: reflect
            swap: [ip, ports]
        default: drop
        """;

    @Option(names = "--seconds", description = "seconds of traffic (default ${DEFAULT-VALUE})")
    int seconds = 8;

    @Option(names = "--rate", description = "steered flow, frames per second (default ${DEFAULT-VALUE})")
    long steeredPps = 50_000;

    @Option(names = "--kernel-rate", description = "kernel flow, frames per second (default ${DEFAULT-VALUE})")
    long kernelPps = 10_000;

    @Option(names = "--malformed", description = "malformed frames of each kind (default ${DEFAULT-VALUE})")
    int malformedEach = 10;

    @Option(names = "--attack", description = "add a flood from another source, which Sluice blocks in XDP " +
        "and unblocks after its TTL (at least 10 s of traffic)")
    boolean attack;

    @Option(names = "--attack-rate", description = "--attack: the flood's frames per second " +
        "(default ${DEFAULT-VALUE})")
    long attackPps = 250_000;

    /**
     * The attack's rules: the demo's, the reflect rule guarded by a block_if over the steered flow's rate.
     */
    static String attackRules(final long steeredPps)
    {
        final long threshold = Math.max(1000, 2 * steeredPps);
        return RULES.replace("    swap: [ip, ports]\n", "    swap: [ip, ports]\n" +
            "    # a source sending more than " + threshold + " pps is a flood: blocked in XDP for " + ATTACK_TTL_S +
            " s\n    # (over a second: the generator's pacing comes in bursts, which a short window would take for floods)" +
            "\n    block_if: {pps: " + threshold + ", window_ms: 1000, ttl_s: " + ATTACK_TTL_S + "}\n");
    }

    public static void main(final String[] args)
    {
        final CommandLine commandLine = new CommandLine(new Demo());
        commandLine.setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            System.err.println("sluice demo: " + ex);
            return 1;
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        if (seconds < 1 || steeredPps < 1 || kernelPps < 1 || malformedEach < 0)
        {
            throw new IllegalArgumentException("--seconds, --rate and --kernel-rate must be >= 1, --malformed >= 0");
        }
        if (attack && (seconds < 10 || attackPps <= 2 * steeredPps))
        {
            throw new IllegalArgumentException("--attack needs --seconds >= 10 (the flood, its block and the " +
                "block's expiry) and --attack-rate above twice --rate");
        }
        try (TestHosts hosts = new TestHosts("demo", GEN_IF, GEN_ADDR + "/24", DUT_IF, DUT_ADDR + "/24"))
        {
            System.out.println("sluice demo: test host " + hosts.genNs() + " (" + GEN_IF + " " + GEN_ADDR + ") <-veth-> " +
                hosts.dutNs() + " (" + DUT_IF + " " + DUT_ADDR + ")");
            System.out.println("sluice demo: rules:");
            rules().lines().forEach((line) -> System.out.println("    " + line));

            return run(hosts);
        }
    }

    private int run(final TestHosts hosts) throws Exception
    {
        final String genNs = hosts.genNs();
        final String dutNs = hosts.dutNs();
        final String genMac = TestHosts.mac(genNs, GEN_IF);
        final String dutMac = TestHosts.mac(dutNs, DUT_IF);
        final SluiceContext ctx = new SluiceContext()
            .iface(DUT_IF)
            .queues(0)
            .rules(RulesFile.parse("demo rules", rules()))
            .xdpMode(XdpMode.NATIVE)
            .xskConfig(attack ? ATTACK_RINGS : DEMO_RINGS)
            .umemConfig(UmemConfig.defaults())
            .pipelineConfig(PipelineConfig.defaults());

        final List<AutoCloseable> resources = new ArrayList<>();
        final ExecutorService executor = Executors.newCachedThreadPool();
        try
        {
            final PacketProcessor processor = NetNamespace.call(dutNs,
                () -> PacketProcessor.launch(ctx.log((line) -> System.out.println("sluice demo: " + line))));
            resources.add(processor);
            final DatagramChannel kernelSocket = NetNamespace.call(dutNs, () -> DatagramChannel.open()
                .setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20)
                .bind(new InetSocketAddress(DUT_ADDR, KERNEL_PORT)));
            resources.add(kernelSocket);
            final AtomicLong kernelReceived = new AtomicLong();
            executor.submit(() -> countDatagrams(kernelSocket, kernelReceived));

            // the test host's receiver for what comes back: steer everything on its end into an AF_XDP socket
            final SteeringProgram genProgram = NetNamespace.call(genNs,
                () -> SteeringProgram.open().attach(GEN_IF, XdpMode.NATIVE));
            resources.add(genProgram);
            genProgram.tables().steerAll(true);
            final Umem genUmem = Umem.create(UmemConfig.defaults().withFrameCount(16_384));
            resources.add(genUmem);
            final XskSocket genSocket = NetNamespace.call(genNs,
                () -> XskSocket.open(genUmem, GEN_IF, 0, DEMO_RINGS));
            resources.add(genSocket);
            genSocket.registerWith(genProgram);

            System.out.println("sluice demo: sluice running on " + DUT_IF + " queue 0 (" + processor.ports()[0].mode() +
                " mode, xdp " + processor.program().attachment().name().toLowerCase(Locale.ROOT) + "), pipeline " +
                ctx.pipelineConfig().describe());

            final int malformed = sendMalformed(genSocket, genUmem, genMac, dutMac);

            final TrafficGenerator steered = NetNamespace.call(genNs, () -> TrafficGenerator.builder().egress(GEN_IF)
                .template(udp(genMac, dutMac, STEERED_PORT)).sourcePorts(40_000, 16).cpu(0).open());
            resources.add(steered);
            final TrafficGenerator unsteered = NetNamespace.call(genNs, () -> TrafficGenerator.builder()
                .egress(GEN_IF).template(udp(genMac, dutMac, KERNEL_PORT)).cpu(0).open());
            resources.add(unsteered);

            final Returns returns = new Returns(genSocket);
            final Future<?> receiving = executor.submit(returns);
            System.out.printf(Locale.ROOT, "sluice demo: sending for %d s: UDP :%d at %,d pps (steered, reflected), " +
                "UDP :%d at %,d pps (kernel socket), %d malformed frames%n", seconds, STEERED_PORT, steeredPps,
                KERNEL_PORT, kernelPps, malformed);

            final Future<Attack> attacked = attack ? executor.submit(() -> attack(genNs, genMac, dutMac, processor)) :
                null;
            final long startNs = System.nanoTime();
            final Future<Long> steeredSent = executor.submit(() -> NetNamespace.call(genNs,
                () -> steered.send(steeredPps * seconds, steeredPps)));
            final Future<Long> kernelSent = executor.submit(() -> NetNamespace.call(genNs,
                () -> unsteered.send(kernelPps * seconds, kernelPps)));
            final StatusLine status = new StatusLine(processor, startNs);
            while (!steeredSent.isDone() || !kernelSent.isDone() || (null != attacked && !attacked.isDone()))
            {
                Thread.sleep(1000);
                System.out.println(status.next(System.nanoTime()));
            }
            final long trafficNs = System.nanoTime() - startNs;
            Thread.sleep(300); // the last reflections are on their way back

            final Accounting accounting = processor.stop();
            returns.stop();
            receiving.get();
            Thread.sleep(100);
            kernelSocket.close();

            if (null != attacked)
            {
                attacked.get().print(processor);
            }

            return summary(accounting, returns, steeredSent.get(), kernelSent.get(), kernelReceived.get(), malformed,
                trafficNs);
        }
        finally
        {
            executor.shutdownNow();
            for (int i = resources.size() - 1; i >= 0; i--)
            {
                try
                {
                    resources.get(i).close();
                }
                catch (final Exception ex)
                {
                    System.err.println("sluice demo: closing " + resources.get(i) + ": " + ex);
                }
            }
        }
    }

    private String rules()
    {
        return attack ? attackRules(steeredPps) : RULES;
    }

    /**
     * What the attacker sent: the flood, then, once its block has expired, a trickle below the rate.
     *
     * @param flood          frames of the flood the test host's veth took.
     * @param refused        frames of the flood the test host's veth refused (its peer's ring full), never offered.
     * @param blockedAfterNs from its start to its block in XDP, or -1 if it was not blocked.
     * @param dropped        what its block dropped in XDP.
     * @param trickle        frames sent after the block expired.
     */
    private record Attack(long flood, long refused, long blockedAfterNs, long dropped, long trickle)
    {
        void print(final PacketProcessor processor)
        {
            System.out.printf(Locale.ROOT, "  attack:         %s sent a flood of %,d frames%s, blocked in XDP %.1f " +
                "ms after it began; its block dropped %,d, the other %,d came before it; %d block(s) added, %d " +
                "expired; after the expiry %,d more below the rate, reflected again%n", ATTACKER, flood,
                0 == refused ? "" : String.format(Locale.ROOT, " (%,d more refused by the test host's veth)", refused),
                blockedAfterNs / 1e6,
                dropped, flood - dropped, processor.blocker().addedByDetector(), processor.blocker().expired(),
                trickle);
        }
    }

    /**
     * From the second second: the flood for two seconds, then, once its block has expired, a trickle.
     */
    private Attack attack(final String genNs, final String genMac, final String dutMac,
        final PacketProcessor processor) throws Exception
    {
        final byte[] template = Frames.ethernet().macs(dutMac, genMac).ipv4(ATTACKER, DUT_ADDR).udp(40_000,
            STEERED_PORT).payload(new byte[22]).build();
        try (TrafficGenerator generator = NetNamespace.call(genNs,
            () -> TrafficGenerator.builder().egress(GEN_IF).template(template).cpu(ATTACK_CPU).open()))
        {
            Thread.sleep(ATTACK_START_S * 1000L);
            System.out.printf(Locale.ROOT, "sluice demo: attack: %s floods UDP :%d at %,d pps for %d s%n", ATTACKER,
                STEERED_PORT, attackPps, ATTACK_S);
            final long floodStartNs = System.nanoTime();
            final long flood = NetNamespace.call(genNs, () -> generator.send(attackPps * ATTACK_S, attackPps));
            final long refused = generator.failures();
            // the blocker samples every block's XDP drops each 100 ms: the flood's are all counted after that
            Thread.sleep(300);
            final Prefix attacker = Prefix.parse(ATTACKER);
            final Blocker.Block block = processor.blocker().blocks().stream()
                .filter((b) -> b.prefix().equals(attacker)).findFirst().orElse(null);
            final long blockedAfterNs = null == block ? -1 : block.addedAtNs() - floodStartNs;
            final long dropped = null == block ? 0 : block.dropped().packets();
            final long deadlineNs = System.nanoTime() + (ATTACK_TTL_S + 2) * 1_000_000_000L;
            while (0 == processor.blocker().expired() && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(50);
            }
            System.out.println("sluice demo: attack: " + ATTACKER + " sends a trickle again: 1,000 frames at " +
                "1,000 pps, below the rate");
            final long trickle = NetNamespace.call(genNs, () -> generator.send(1_000, 1_000));

            return new Attack(flood, refused, blockedAfterNs, dropped, trickle);
        }
    }

    private int summary(
        final Accounting accounting,
        final Returns returns,
        final long steeredSent,
        final long kernelSent,
        final long kernelReceived,
        final int malformed,
        final long trafficNs)
    {
        final long reflected = accounting.pipeline().get(PipelineCounter.REFLECTED);
        final Histogram rtt = returns.histogram;
        System.out.println();
        System.out.println("summary");
        System.out.printf(Locale.ROOT, "  steered flow:   %,d sent, %,d reflected, %,d back at the sender; " +
            "%.3f Mpps reflected%s%n", steeredSent, reflected, returns.ownFrames, reflected * 1e3 / trafficNs,
            attack ? String.format(Locale.ROOT, " (with the attacker's; %,d of them back at %s)",
            returns.frames - returns.ownFrames, ATTACKER) : "");
        System.out.printf(Locale.ROOT, "  round trip µs:  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  " +
                "(%,d frames; generator's CLOCK_MONOTONIC stamp to the test host's receipt)%n",
            rtt.getValueAtPercentile(50) / 1e3, rtt.getValueAtPercentile(90) / 1e3,
            rtt.getValueAtPercentile(99) / 1e3, rtt.getValueAtPercentile(99.9) / 1e3, rtt.getMaxValue() / 1e3,
            rtt.getTotalCount());
        System.out.printf(Locale.ROOT, "  kernel flow:    %,d sent, %,d received by the kernel UDP socket on :%d%n",
            kernelSent, kernelReceived, KERNEL_PORT);
        System.out.printf(Locale.ROOT, "  malformed:      %,d sent: %,d parse errors in Sluice, %,d passed by XDP " +
            "as malformed%n", malformed, accounting.pipeline().get(PipelineCounter.PARSE_ERROR),
            accounting.packets(XdpCounter.PASS_MALFORMED));
        System.out.println();
        System.out.println("accounting");
        accounting.lines().forEach((line) -> System.out.println("  " + line));

        final boolean ok = accounting.balanced();
        System.out.println(ok ? "sluice demo: ok: every packet accounted for" :
            "sluice demo: NOT BALANCED: see the accounting above");

        return ok ? 0 : 3;
    }

    /**
     * Send, from the test host's AF_XDP socket, frames that are malformed in ways the pipeline's parser catches
     * (an IPv4 total length beyond the frame, a UDP length below its header) and one the XDP program catches (an
     * IHL below 5): the first two are steered (XDP reads only what it needs) and counted as parse errors, the third
     * passes to the kernel, counted as malformed.
     *
     * @return frames sent.
     */
    private int sendMalformed(final XskSocket socket, final Umem umem, final String genMac, final String dutMac)
    {
        final byte[] good = udp(genMac, dutMac, STEERED_PORT);
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < malformedEach; i++)
        {
            final byte[] jumbo = good.clone();
            jumbo[16] = (byte)(1400 >> 8); // IPv4 total length: 1,400 in a 64-byte frame
            jumbo[17] = (byte)1400;
            frames.add(jumbo);
            final byte[] shortUdp = good.clone();
            shortUdp[38] = 0; // UDP length 4: less than its own header
            shortUdp[39] = 4;
            frames.add(shortUdp);
            final byte[] badIhl = good.clone();
            badIhl[14] = 0x43; // version 4, IHL 3
            frames.add(badIhl);
        }

        final long[] addresses = new long[frames.size()];
        final int[] lengths = new int[frames.size()];
        final int taken = umem.pool().allocate(addresses, 0, frames.size());
        final MemorySegment memory = umem.memory();
        for (int i = 0; i < taken; i++)
        {
            final byte[] frame = frames.get(i);
            MemorySegment.copy(frame, 0, memory, ValueLayout.JAVA_BYTE, addresses[i], frame.length);
            lengths[i] = frame.length;
        }
        int sent = 0;
        final long deadlineNs = System.nanoTime() + 2_000_000_000L;
        while (sent < taken && System.nanoTime() < deadlineNs)
        {
            sent += socket.transmit(addresses, lengths, sent, taken - sent);
            socket.completeToPool(Integer.MAX_VALUE);
        }
        umem.pool().release(addresses, sent, taken - sent);
        while (socket.txFrames() > 0 && System.nanoTime() < deadlineNs)
        {
            socket.flushTx();
            socket.completeToPool(Integer.MAX_VALUE);
        }

        return sent;
    }

    static byte[] udp(final String srcMac, final String dstMac, final int dstPort)
    {
        return Frames.ethernet().macs(dstMac, srcMac).ipv4(GEN_ADDR, DUT_ADDR).udp(40_000, dstPort)
            .payload(new byte[22]).build();
    }

    private static void countDatagrams(final DatagramChannel channel, final AtomicLong received)
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        try
        {
            while (true)
            {
                buffer.clear();
                channel.receive(buffer);
                received.incrementAndGet();
            }
        }
        catch (final AsynchronousCloseException ignore)
        {
            // closed at the end of the demo
        }
        catch (final Exception ex)
        {
            System.err.println("sluice demo: kernel socket: " + ex);
        }
    }

    /**
     * The test host's receiver: reads reflected frames from its AF_XDP socket, records each round trip from the
     * generator's timestamp, and hands the frame straight back to the fill ring.
     */
    private static final class Returns implements Runnable
    {
        private final XskSocket socket;
        private final MemorySegment memory;
        private final Histogram histogram = new Histogram(MAX_RTT_NS, 3);
        private volatile boolean running = true;
        private long frames;
        private long ownFrames;

        Returns(final XskSocket socket)
        {
            this.socket = socket;
            this.memory = socket.umem().memory();
        }

        @Override
        public void run()
        {
            final long[] addresses = new long[64];
            final int[] lengths = new int[64];
            final IdleStrategy idle = IdleMode.BACKOFF.newStrategy();
            while (running)
            {
                final int n = socket.receive(addresses, lengths, 0, addresses.length);
                idle.idle(n);
                if (0 == n)
                {
                    continue;
                }
                final long nowNs = System.nanoTime();
                for (int i = 0; i < n; i++)
                {
                    // the steered flow's reflections only: an attacker's are not stamped
                    if (lengths[i] >= PAYLOAD_OFFSET + 16 && GEN_ADDR_HOST_ORDER ==
                        memory.get(BE32, addresses[i] + IPV4_DST_OFFSET))
                    {
                        final long sentNs = memory.get(U64, addresses[i] + PAYLOAD_OFFSET + 8);
                        histogram.recordValue(Math.min(MAX_RTT_NS, Math.max(0, nowNs - sentNs)));
                        ownFrames++;
                    }
                }
                frames += n;
                int placed = 0;
                while (placed < n)
                {
                    placed += socket.fill(addresses, placed, n - placed);
                }
            }
        }

        void stop()
        {
            running = false;
        }
    }
}
