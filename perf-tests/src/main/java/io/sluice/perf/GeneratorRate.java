package io.sluice.perf;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * How fast the traffic generator sends into a veth whose far end runs the steering program: frames the generator
 * redirected and frames the sink's XDP program saw, per second, from one sending thread. The sink has no rules,
 * so it passes every frame to its stack, which drops them at once (they are addressed to another MAC). IPv6 is
 * off in both namespaces, so the sink sees the generator's frames and nothing else.
 * <p>
 * It makes its own pair of network namespaces ({@code sluice-gr-PID-gen} and {@code -sink}) joined by a veth, and
 * deletes them when done, on failure, and on SIGINT or SIGTERM.
 * <pre>
 * ./sluice java io.sluice.perf.GeneratorRate --seconds 5 --frame-bytes 64 --rounds 3
 * </pre>
 */
@Command(name = "generator-rate", mixinStandardHelpOptions = true,
    description = "Frames per second the live-frame traffic generator sends into a veth with XDP on its far end")
public final class GeneratorRate implements Callable<Integer>
{
    private static final String GEN_IF = "gr0";
    private static final String SINK_IF = "gr1";
    private static final String GEN_ADDRESS = "10.216.0.1";
    private static final String SINK_ADDRESS = "10.216.0.2";

    @Option(names = "--seconds", description = "length of each measured run (default ${DEFAULT-VALUE})")
    int seconds = 5;

    @Option(names = "--rounds", description = "measured runs; each is reported (default ${DEFAULT-VALUE})")
    int rounds = 3;

    @Option(names = "--frame-bytes", description = "frame length, 58..1514, without FCS (default ${DEFAULT-VALUE})")
    int frameBytes = 64;

    @Option(names = "--rate", description = "frames per second, 0 for as fast as possible (default ${DEFAULT-VALUE})")
    long ratePps = 0;

    @Option(names = "--batch", description = "frames per kernel batch, 1..256 (default ${DEFAULT-VALUE})")
    int batchSize = TrafficGenerator.BATCH_SIZE_DEFAULT;

    @Option(names = "--cpu", description = "CPU to send from, -1 for unpinned (default ${DEFAULT-VALUE})")
    int cpu = -1;

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new GeneratorRate()).execute(args));
    }

    public Integer call() throws Exception
    {
        if (seconds < 1 || rounds < 1 || frameBytes < 58 || frameBytes > 1514 || ratePps < 0)
        {
            throw new CommandLine.ParameterException(new CommandLine(this),
                "--seconds and --rounds must be >= 1, --frame-bytes 58..1514, --rate >= 0");
        }

        try (TestHosts hosts = new TestHosts("gr", GEN_IF, GEN_ADDRESS + "/24", SINK_IF, SINK_ADDRESS + "/24"))
        {
            measure(hosts.genNs(), hosts.dutNs());
        }

        return 0;
    }

    private void measure(final String genNs, final String sinkNs) throws Exception
    {
        final byte[] template = Frames.ethernet().macs("02:00:00:00:5e:99", "02:00:00:00:00:01")
            .ipv4(GEN_ADDRESS, SINK_ADDRESS).udp(40_000, 9).payload(frameBytes - 42).build();
        try (SteeringProgram sink = NetNamespace.call(sinkNs, () -> SteeringProgram.open().attach(SINK_IF, XdpMode.NATIVE));
            TrafficGenerator generator = NetNamespace.call(genNs, () -> TrafficGenerator.builder().egress(GEN_IF)
                .template(template).batchSize(batchSize).cpu(cpu).open()))
        {
            System.out.println("# ./sluice java " + GeneratorRate.class.getName() + " --seconds " + seconds +
                " --rounds " + rounds + " --frame-bytes " + frameBytes + " --rate " + ratePps + " --batch " +
                batchSize + " --cpu " + cpu);
            System.out.printf("# %d-byte UDP frames, one sending thread, veth %s -> %s with %s (native, no rules)," +
                " %d CPUs%n", frameBytes, GEN_IF, SINK_IF, SteeringProgram.PROGRAM_NAME,
                Runtime.getRuntime().availableProcessors());
            NetNamespace.call(genNs, () -> generator.run(Duration.ofMillis(500), ratePps));
            settle(sink, generator);
            System.out.printf("%-6s %14s %10s %14s %10s %12s%n",
                "round", "sent", "Mpps", "sink XDP saw", "Mpps", "xmit errors");
            for (int round = 1; round <= rounds; round++)
            {
                final long sinkBefore = seen(sink);
                final long errorsBefore = TestHosts.vethRefused(genNs, GEN_IF);
                final long startNs = System.nanoTime();
                final long sent = NetNamespace.call(genNs, () -> generator.run(Duration.ofSeconds(seconds), ratePps));
                final long elapsedNs = System.nanoTime() - startNs;
                settle(sink, generator);
                final long seen = seen(sink) - sinkBefore;
                System.out.printf("%-6d %,14d %10.2f %,14d %10.2f %,12d%n", round, sent, sent * 1e3 / elapsedNs,
                    seen, seen * 1e3 / elapsedNs, TestHosts.vethRefused(genNs, GEN_IF) - errorsBefore);
            }
        }
    }

    /**
     * Wait, up to a second, for the sink to process what is still in flight, so rounds do not share frames.
     */
    private static void settle(final SteeringProgram sink, final TrafficGenerator generator)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + 1_000_000_000L;
        while (seen(sink) < generator.sent() && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(1);
        }
    }

    private static long seen(final SteeringProgram sink)
    {
        long frames = 0;
        for (final XdpCounter counter : XdpCounter.values())
        {
            frames += counter.isOutcome() ? sink.counter(counter).packets() : 0;
        }

        return frames;
    }

    private static String run(final String... command)
    {
        return TestHosts.run(command);
    }
}
