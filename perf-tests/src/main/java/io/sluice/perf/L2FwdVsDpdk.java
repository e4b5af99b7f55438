package io.sluice.perf;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sluice's {@code bench l2fwd} (the full pipeline, reflecting) against DPDK's {@code testpmd} with
 * {@code net_af_xdp} in {@code macswap} mode, on the same veth, fed by the same generator, alternating over several
 * runs. What counts is frames returned to the sender: an XDP program on the sender's interface counts and drops
 * them, so the figure is what came back, not what the forwarder believes it sent.
 * <pre>
 * ./sluice bench l2fwd-vs-dpdk --runs 5 --duration 8
 * </pre>
 * Each run's rate is the returned frames over the traffic window, leaving out the first {@code --warmup} seconds.
 */
@Command(name = "l2fwd-vs-dpdk", mixinStandardHelpOptions = true,
    description = "Sluice l2fwd vs DPDK testpmd net_af_xdp macswap on one veth: frames returned per second")
public final class L2FwdVsDpdk implements Callable<Integer>
{
    private static final String GEN_IF = "lvg0";
    private static final String DUT_IF = "lvd0";
    private static final String GEN_ADDR = "10.217.0.1";
    private static final String DUT_ADDR = "10.217.0.2";
    private static final Pattern ALLOC = Pattern.compile("alloc_bytes_per_pkt=([0-9.]+)");

    @Option(names = "--runs", description = "runs per system, alternating (default ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--duration", description = "seconds of traffic per run (default ${DEFAULT-VALUE})")
    int durationS = 8;

    @Option(names = "--frame-bytes", description = "frame size, 60..1514 (default ${DEFAULT-VALUE})")
    int frameBytes = 64;

    @Option(names = "--warmup", description = "seconds of traffic before the measured window: JIT compilation for " +
        "Sluice, mbuf and cache warm-up for testpmd (default ${DEFAULT-VALUE})")
    int warmupS = 2;

    @Option(names = "--rate", description = "generator rate in pps; 0 is flat out (default ${DEFAULT-VALUE})")
    long ratePps = 0;

    @Option(names = "--frame-size", description = "Sluice's UMEM frame size; 2048 matches testpmd's mbufs " +
        "(default ${DEFAULT-VALUE})")
    int frameSize = 2048;

    @Option(names = "--batch", description = "Sluice's RX and TX batch (default ${DEFAULT-VALUE})")
    int batch = 64;

    @Option(names = "--gen-cpu", description = "CPU the generator sends from (default ${DEFAULT-VALUE})")
    int genCpu = 0;

    @Option(names = "--fwd-cpu", description = "CPU the forwarders poll on (default ${DEFAULT-VALUE})")
    int fwdCpu = 1;

    private record Run(double pps, String extra)
    {
    }

    @Override
    public Integer call() throws Exception
    {
        if (runs < 1 || warmupS < 0 || durationS < warmupS + 2 || frameBytes < 60 || frameBytes > 1514 || ratePps < 0)
        {
            throw new IllegalArgumentException(
                "--runs >= 1, --warmup >= 0, --duration >= warmup + 2, --frame-bytes 60..1514 and --rate >= 0 please");
        }
        try (TestHosts hosts = new TestHosts("lvd", GEN_IF, GEN_ADDR + "/24", DUT_IF, DUT_ADDR + "/24"))
        {
            compare(hosts.genNs(), hosts.dutNs());
        }

        return 0;
    }

    private void compare(final String genNs, final String dutNs) throws Exception
    {
        final byte[] template = Frames.ethernet().macs(TestHosts.mac(dutNs, DUT_IF), TestHosts.mac(genNs, GEN_IF))
            .ipv4(GEN_ADDR, DUT_ADDR).udp(40_000, 9).payload(new byte[frameBytes - 42]).build();
        final List<String> sluiceArgs = List.of(dutNs, "bench", "l2fwd", "--iface", DUT_IF, "--queue", "0", "--cpu", Integer.toString(fwdCpu), "--frame-size", Integer.toString(frameSize), "--batch",
            Integer.toString(batch));
        final TestpmdConfig testpmdConfig = TestpmdConfig.of(dutNs, DUT_IF).withQueue(0)
            .withMode(TestpmdConfig.ForwardMode.MACSWAP).withLcores(genCpu, fwdCpu);

        // the sink: count and drop in XDP what comes back (a veth end needs an XDP program to receive at all)
        try (SteeringProgram sink = NetNamespace.call(genNs, () -> SteeringProgram.open().attach(GEN_IF, XdpMode.NATIVE));
            TrafficGenerator generator = NetNamespace.call(genNs, () -> TrafficGenerator.builder().egress(GEN_IF)
                .template(template).sourcePorts(40_000, 64).cpu(genCpu).open()))
        {
            sink.tables().add(FlowRule.of(1, FlowRule.Action.DROP));
            System.out.println("# ./sluice bench l2fwd-vs-dpdk --runs " + runs + " --duration " + durationS +
                " --warmup " + warmupS + " --frame-bytes " + frameBytes + " --rate " + ratePps + " --batch " + batch +
                " --frame-size " + frameSize + " --gen-cpu " + genCpu + " --fwd-cpu " + fwdCpu);
            System.out.println("# generator: " + frameBytes + "-byte UDP frames from " + genNs + "/" + GEN_IF +
                " on CPU " + genCpu + (0 == ratePps ? ", flat out" : ", " + ratePps + " pps") +
                "; returned frames counted by an XDP drop rule on " + GEN_IF);
            System.out.println("# sluice:  ip netns exec " + dutNs + " " +
                SluiceProcess.sluiceHome().resolve("sluice") + " " + String.join(" ", sluiceArgs.subList(1,
                sluiceArgs.size())));

            final List<Run> sluiceRuns = new ArrayList<>();
            final List<Run> dpdkRuns = new ArrayList<>();
            for (int run = 1; run <= runs; run++)
            {
                final Run s = runSluice(sluiceArgs, genNs, generator, sink);
                sluiceRuns.add(s);
                System.out.printf(Locale.ROOT, "run %d sluice      %7.3f Mpps returned  (%s)%n", run, s.pps() / 1e6,
                    s.extra());
                final Run d = runTestpmd(testpmdConfig, genNs, generator, sink, 1 == run);
                dpdkRuns.add(d);
                System.out.printf(Locale.ROOT, "run %d dpdk-af_xdp %7.3f Mpps returned  (%s)%n", run, d.pps() / 1e6,
                    d.extra());
            }

            final double sluiceMedian = Medians.median(sluiceRuns.stream().mapToDouble(Run::pps).toArray());
            final double dpdkMedian = Medians.median(dpdkRuns.stream().mapToDouble(Run::pps).toArray());
            System.out.printf(Locale.ROOT, "%n%-14s %10s %10s %10s%n", "forwarder", "min Mpps", "median", "max");
            Medians.printRow("sluice", sluiceRuns.stream().mapToDouble(Run::pps).toArray());
            Medians.printRow("dpdk-af_xdp", dpdkRuns.stream().mapToDouble(Run::pps).toArray());
            System.out.printf(Locale.ROOT, "ratio sluice/dpdk-af_xdp (medians): %.3f%n", sluiceMedian / dpdkMedian);
        }
    }

    private Run runSluice(
        final List<String> args, final String genNs, final TrafficGenerator generator, final SteeringProgram sink)
        throws Exception
    {
        try (SluiceProcess process = SluiceProcess.start(args.get(0), args.subList(1, args.size())
            .toArray(new String[0])))
        {
            if (!process.await("READY", 120) || !process.isAlive())
            {
                throw new IllegalStateException("sluice bench l2fwd did not start:\n" + process.output());
            }
            final double pps = returnedRate(genNs, generator, sink);
            process.signal("INT");
            process.waitFor(30);
            final String text = process.output();
            final Matcher alloc = ALLOC.matcher(text);
            final String total = process.line("TOTAL");
            return new Run(pps, "alloc_bytes_per_pkt=" + (alloc.find() ? alloc.group(1) : "?") + ", " +
                total.replaceFirst("^TOTAL ", "").replaceAll(" (duration_s|frames|xdp_redirect|parse_errors|" +
                "alloc_bytes_per_pkt|tx_mpps_avg)=[^ ]*", ""));
        }
    }

    private Run runTestpmd(
        final TestpmdConfig config,
        final String genNs,
        final TrafficGenerator generator,
        final SteeringProgram sink,
        final boolean first) throws Exception
    {
        try (Testpmd testpmd = Testpmd.start(config))
        {
            if (first)
            {
                System.out.println("# dpdk:    " + testpmd.commandLine());
            }
            final double pps = returnedRate(genNs, generator, sink);
            final TestpmdOutput.FinalStats stats = testpmd.stop();
            return new Run(pps, "rx_packets=" + stats.rxPackets() + " tx_packets=" + stats.txPackets() +
                " rx_dropped=" + stats.rxDropped());
        }
    }

    /**
     * Send for the run's duration and return the rate of frames coming back, over the traffic less its warm-up.
     */
    private double returnedRate(final String genNs, final TrafficGenerator generator, final SteeringProgram sink)
        throws Exception
    {
        final FutureTask<Long> traffic = new FutureTask<>(() ->
            NetNamespace.call(genNs, () -> generator.run(Duration.ofSeconds(durationS), ratePps)));
        final Thread sender = new Thread(traffic, "generator");
        sender.start();
        Thread.sleep(warmupS * 1000L);
        final long startNs = System.nanoTime();
        final long startCount = sink.counter(XdpCounter.DROP_RULE).packets();
        Thread.sleep((durationS - warmupS) * 1000L - 100);
        final long endCount = sink.counter(XdpCounter.DROP_RULE).packets();
        final long endNs = System.nanoTime();
        traffic.get();
        Thread.sleep(200);

        return (endCount - startCount) * 1e9 / (endNs - startNs);
    }

}
