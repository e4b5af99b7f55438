package io.sluice.perf;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.util.NetNamespace;
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
 * Sluice's {@code bench rxdrop} against DPDK's {@code testpmd} with {@code net_af_xdp} in {@code rxonly} mode, on the
 * same veth, fed by the same generator, alternating over several runs. Prints each run's receive rate, both medians
 * and their ratio, with the exact commands.
 * <pre>
 * ./sluice bench rxdrop-vs-dpdk --runs 3 --duration 6
 * </pre>
 * Each run's rate is the median of the receiver's per-second rates, leaving out the first second of traffic.
 */
@Command(name = "rxdrop-vs-dpdk", mixinStandardHelpOptions = true,
    description = "Sluice rxdrop vs DPDK testpmd net_af_xdp rxonly on one veth, alternating runs")
public final class RxDropVsDpdk implements Callable<Integer>
{
    private static final String GEN_IF = "rvg0";
    private static final String DUT_IF = "rvd0";
    private static final String GEN_ADDR = "10.214.0.1";
    private static final String DUT_ADDR = "10.214.0.2";
    private static final Pattern STAT = Pattern.compile("^STAT t=\\d+ rx_mpps=[0-9.]+ rx_pps=(\\d+) .*");
    private static final Pattern ALLOC = Pattern.compile("alloc_bytes_per_pkt=([0-9.]+)");

    @Option(names = "--runs", description = "runs per system, alternating (default ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--duration", description = "seconds of traffic per run (default ${DEFAULT-VALUE})")
    int durationS = 6;

    @Option(names = "--frame-bytes", description = "frame size, 60..1514 (default ${DEFAULT-VALUE})")
    int frameBytes = 64;

    @Option(names = "--gen-cpu", description = "CPU the generator sends from (default ${DEFAULT-VALUE})")
    int genCpu = 0;

    @Option(names = "--rx-cpu", description = "CPU the receivers poll on (default ${DEFAULT-VALUE})")
    int rxCpu = 1;

    private record Run(double pps, long received, String extra)
    {
    }

    public Integer call() throws Exception
    {
        if (runs < 1 || durationS < 3 || frameBytes < 60 || frameBytes > 1514)
        {
            throw new IllegalArgumentException("--runs >= 1, --duration >= 3 and --frame-bytes 60..1514 please");
        }
        try (TestHosts hosts = new TestHosts("rvd", GEN_IF, GEN_ADDR + "/24", DUT_IF, DUT_ADDR + "/24"))
        {
            compare(hosts.genNs(), hosts.dutNs());
        }

        return 0;
    }

    private void compare(final String genNs, final String dutNs) throws Exception
    {
        final String dutMac = mac(dutNs, DUT_IF);
        final byte[] template = Frames.ethernet().macs(dutMac, mac(genNs, GEN_IF)).ipv4(GEN_ADDR, DUT_ADDR)
            .udp(40_000, 9).payload(new byte[frameBytes - 42]).build();
        final List<String> sluiceArgs = List.of(dutNs, "bench", "rxdrop", "--iface", DUT_IF, "--queue", "0", "--cpu", Integer.toString(rxCpu));
        final TestpmdConfig testpmdConfig = TestpmdConfig.of(dutNs, DUT_IF).withQueue(0)
            .withLcores(genCpu, rxCpu);

        try (TrafficGenerator generator = NetNamespace.call(genNs, () -> TrafficGenerator.builder().egress(GEN_IF)
            .template(template).sourcePorts(40_000, 64).cpu(genCpu).open()))
        {
            System.out.println("# ./sluice bench rxdrop-vs-dpdk --runs " + runs + " --duration " + durationS +
                " --frame-bytes " + frameBytes + " --gen-cpu " + genCpu + " --rx-cpu " + rxCpu);
            System.out.println("# generator: " + frameBytes + "-byte UDP frames from " + genNs + "/" + GEN_IF +
                " on CPU " + genCpu + ", BPF_PROG_TEST_RUN live frames, as fast as it goes");
            System.out.println("# sluice:  ip netns exec " + dutNs + " " +
                SluiceProcess.sluiceHome().resolve("sluice") + " " + String.join(" ", sluiceArgs.subList(1,
                sluiceArgs.size())));

            final List<Run> sluiceRuns = new ArrayList<>();
            final List<Run> dpdkRuns = new ArrayList<>();
            for (int run = 1; run <= runs; run++)
            {
                final Run s = runSluice(sluiceArgs, genNs, generator);
                sluiceRuns.add(s);
                System.out.printf(Locale.ROOT, "run %d sluice      %7.3f Mpps  (%s)%n", run, s.pps() / 1e6, s.extra());
                final Run d = runTestpmd(testpmdConfig, genNs, generator, 1 == run);
                dpdkRuns.add(d);
                System.out.printf(Locale.ROOT, "run %d dpdk-af_xdp %7.3f Mpps  (%s)%n", run, d.pps() / 1e6, d.extra());
            }

            final double sluiceMedian = Medians.median(sluiceRuns.stream().mapToDouble(Run::pps).toArray());
            final double dpdkMedian = Medians.median(dpdkRuns.stream().mapToDouble(Run::pps).toArray());
            System.out.printf(Locale.ROOT, "%n%-14s %10s %10s %10s%n", "receiver", "min Mpps", "median", "max");
            Medians.printRow("sluice", sluiceRuns.stream().mapToDouble(Run::pps).toArray());
            Medians.printRow("dpdk-af_xdp", dpdkRuns.stream().mapToDouble(Run::pps).toArray());
            System.out.printf(Locale.ROOT, "ratio sluice/dpdk-af_xdp (medians): %.3f%n", sluiceMedian / dpdkMedian);
        }
    }

    private Run runSluice(final List<String> args, final String genNs, final TrafficGenerator generator)
        throws Exception
    {
        try (SluiceProcess process = SluiceProcess.start(args.get(0), args.subList(1, args.size())
            .toArray(new String[0])))
        {
            if (!process.await("READY", 120) || !process.isAlive())
            {
                throw new IllegalStateException("sluice bench rxdrop did not start:\n" + process.output());
            }
            final long[] window = traffic(genNs, generator);
            process.signal("INT");
            process.waitFor(30);
            final List<long[]> samples = new ArrayList<>(); // {arrival ns, pps}
            for (final SluiceProcess.Line line : process.timedLines())
            {
                final Matcher stat = STAT.matcher(line.text());
                if (stat.matches())
                {
                    samples.add(new long[] {line.arrivalNs(), Long.parseLong(stat.group(1))});
                }
            }
            final Matcher alloc = ALLOC.matcher(process.output());
            final String total = process.line("TOTAL");
            return new Run(windowMedian(samples, window), 0, "alloc_bytes_per_pkt=" +
                (alloc.find() ? alloc.group(1) : "?") + ", " +
                total.replaceAll(".*(rx_dropped=\\d+).*(rx_ring_full=\\d+).*", "$1 $2"));
        }
    }

    private Run runTestpmd(
        final TestpmdConfig config, final String genNs, final TrafficGenerator generator, final boolean first)
        throws Exception
    {
        try (Testpmd testpmd = Testpmd.start(config))
        {
            if (first)
            {
                System.out.println("# dpdk:    " + testpmd.commandLine());
            }
            final List<long[]> samples = new ArrayList<>();
            final FutureTask<long[]> traffic = new FutureTask<>(() -> traffic(genNs, generator));
            final Thread sender = new Thread(traffic, "generator");
            sender.start();
            int seen = testpmd.samples().size();
            while (!traffic.isDone())
            {
                Thread.sleep(20);
                final List<TestpmdOutput.PortStats> now = testpmd.samples();
                for (int i = seen; i < now.size(); i++)
                {
                    samples.add(new long[] {System.nanoTime(), now.get(i).rxPps()});
                }
                seen = now.size();
            }
            final long[] window = traffic.get();
            final TestpmdOutput.FinalStats stats = testpmd.stop();
            return new Run(windowMedian(samples, window), stats.rxPackets(),
                "rx_packets=" + stats.rxPackets() + " rx_dropped=" + stats.rxDropped());
        }
    }

    /**
     * Send for the run's duration; returns the window of steady traffic: from a second after the start to the end.
     */
    private long[] traffic(final String genNs, final TrafficGenerator generator) throws Exception
    {
        final long startNs = System.nanoTime();
        NetNamespace.call(genNs, () -> generator.run(Duration.ofSeconds(durationS), 0));
        final long endNs = System.nanoTime();
        Thread.sleep(1200); // the receivers' last per-second line covers the end of the traffic
        return new long[] {startNs + 1_000_000_000L, endNs};
    }

    /**
     * The median of the per-second rates whose second lies inside the window (a sample arrives at the end of its
     * second).
     */
    private static double windowMedian(final List<long[]> samples, final long[] window)
    {
        final double[] rates = samples.stream()
            .filter((s) -> s[0] - 1_000_000_000L >= window[0] - 50_000_000L && s[0] <= window[1] + 50_000_000L)
            .mapToDouble((s) -> s[1]).toArray();
        if (0 == rates.length)
        {
            throw new IllegalStateException("no per-second sample inside the traffic window; raise --duration");
        }
        return Medians.median(rates);
    }

    private static String mac(final String ns, final String ifname)
    {
        return TestHosts.mac(ns, ifname);
    }
}
