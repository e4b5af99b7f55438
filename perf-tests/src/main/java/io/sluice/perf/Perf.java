package io.sluice.perf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.FutureTask;

/**
 * {@code ./sluice perf}: the performance harness users run themselves. It makes its own test hosts (two namespaces
 * and a veth pair), feeds the side under test with the generator from CPU {@code --gen-cpu}, and measures each
 * scenario's systems on CPU {@code --dut-cpu}, alternating systems within each run so that drift in the machine
 * spreads over all of them.
 * <p>
 * With {@code --queues N} both veth ends get N queues and every system serves all N from its one CPU, as one
 * testpmd lcore polls several queues. veth puts a redirected frame on the peer's RX queue numbered as the sending
 * CPU (modulo N), so the generator sends from N CPUs, one per queue: {@link #generatorCpus}. The latency scenario
 * stays one flow on one queue, as RSS would hash it, and receives the returns on every queue.
 * <ul>
 *     <li>{@code rxdrop}: receive and drop. Sluice's {@code bench rxdrop}, testpmd {@code rxonly} on
 *     {@code net_af_xdp} and on {@code net_af_packet}, and plain XDP_DROP (the kernel's limit), each counted by
 *     itself.</li>
 *     <li>{@code l2fwd}: receive and send back. Sluice's {@code bench l2fwd} (the full pipeline), testpmd
 *     {@code macswap} on both PMDs; counted as frames back at the sender, by an XDP drop rule on its veth end.</li>
 *     <li>{@code txonly}: send only, no generator. Sluice's {@code bench txonly} (an AF_XDP socket) and testpmd
 *     {@code txonly} on both PMDs, counted as frames arriving at the test host's end, by the same drop rule.</li>
 *     <li>{@code latency}: round trips through the l2fwd reflectors at each {@code --rate}, from a paced prober in
 *     the test host ({@link LatencyScenario}); rates given as shares are of the maximum testpmd's AF_XDP macswap
 *     reached in this invocation's l2fwd scenario (measured first, in one run, when l2fwd is not among those
 *     asked for).</li>
 *     <li>{@code reaction}: the adaptive fast path, on test hosts of its own ({@link ReactionBench}): floods from
 *     new sources, and the distribution of the time from each flood's start to its first packet dropped in XDP by
 *     the block the detector pushed. No peer does this, so it has no ratio.</li>
 * </ul>
 * A run's figure is the median of its per-second rates after {@code --warmup} seconds; a system's figures are the
 * min, median and max over {@code --runs}. It prints a table and writes {@code results.json} into {@code --out}.
 */
@Command(name = "perf", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure Sluice next to DPDK testpmd (AF_XDP, AF_PACKET) and plain XDP_DROP on a veth it makes")
public final class Perf implements java.util.concurrent.Callable<Integer>
{
    static final List<String> SCENARIOS = List.of("rxdrop", "l2fwd", "txonly", "latency", "reaction");
    static final String REFERENCE = "dpdk-af_xdp";
    /**
     * The peer for frames {@link #REFERENCE} cannot take: testpmd on net_af_packet, with jumbo mbufs.
     */
    static final String JUMBO_REFERENCE = "dpdk-af_packet";

    private static final String GEN_IF = "pfg0";
    private static final String DUT_IF = "pfd0";
    private static final String GEN_ADDR = "10.224.0.1";
    private static final String DUT_ADDR = "10.224.0.2";
    private static final int FCS_BYTES = 4;
    private static final int STANDARD_FRAME_MAX = 1518;
    private static final int JUMBO_MTU = 9000;
    private static final int JUMBO_FRAME_MAX = JUMBO_MTU + 18;
    /**
     * DPDK 22.11's net_af_xdp: its UMEM is the mbuf pool, one 4 KiB page per mbuf, so a frame is at most a page
     * less the mempool object header, the mbuf, its headroom and XDP's ({@code max_rx_pktlen} in
     * {@code eth_dev_info}), and it has no multi-buffer.
     */
    private static final int AF_XDP_PMD_FRAME_MAX = 3560;
    private static final int JUMBO_MBUFS = 8192;
    private static final long POLL_MS = 50;

    @Parameters(arity = "0..*", paramLabel = "SCENARIO", description = "rxdrop, l2fwd, txonly, latency, reaction (default: all)")
    List<String> scenarios = new ArrayList<>();

    @Option(names = "--runs", description = "runs per system (default ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--duration", description = "seconds of traffic per run (default ${DEFAULT-VALUE})")
    int durationS = 10;

    /**
     * Measured: Sluice's forwarding rate climbs for about 3 s after its first frames while C2 compiles the pipeline
     * (its compiler threads share the generator's CPU), then holds; testpmd's does not climb.
     */
    @Option(names = "--warmup", description = "seconds of each run left out of its figure, for JIT compilation " +
        "and caches (default ${DEFAULT-VALUE})")
    int warmupS = 4;

    @Option(names = "--frame-size", description = "Ethernet frame size with FCS, 64.." + JUMBO_FRAME_MAX + "; " +
        "above " + STANDARD_FRAME_MAX + " (jumbo) both veth ends get MTU " + JUMBO_MTU + ", and only rxdrop and " +
        "l2fwd run (default ${DEFAULT-VALUE})")
    int frameSize = 64;

    @Option(names = "--queues", description = "queues on each veth end, all served by each system from " +
        "--dut-cpu; the generator sends from one CPU per queue (default ${DEFAULT-VALUE})")
    int queues = 1;

    @Option(names = "--gen-cpu", description = "CPU the generator sends from (default ${DEFAULT-VALUE})")
    int genCpu = 0;

    @Option(names = "--dut-cpu", description = "CPU the systems under test poll on (default ${DEFAULT-VALUE})")
    int dutCpu = 1;

    @Option(names = "--rate", split = ",", paramLabel = "RATE", description = "latency: rates, as shares of the " +
        "measured l2fwd maximum (50%%) or frames per second (250k) (default: 10%%,50%%,90%%)")
    List<String> rates = new ArrayList<>(List.of("10%", "50%", "90%"));

    @Option(names = "--reaction-trials", description = "reaction: floods, each from a new source " +
        "(default ${DEFAULT-VALUE})")
    int reactionTrials = 30;

    @Option(names = "--sluice-idle", description = "l2fwd and latency: Sluice's idle strategy when its poll finds " +
        "nothing, spin, yield or backoff (default: bench l2fwd's, spin)")
    String sluiceIdle;

    @Option(names = "--sluice-batch", description = "Sluice's RX and TX batch, in every scenario " +
        "(default: each bench's own, 64)")
    Integer sluiceBatch;

    @Option(names = "--out", description = "folder for results.json, the latency logs and plot " +
        "(default: perf-results/DATE-TIME)")
    Path out;

    private double l2fwdReferenceMpps = Double.NaN;
    private Path folder;

    /**
     * One run of one system.
     *
     * @param mpps            the run's figure: median of its per-second rates in the window.
     * @param cpuBusyPercent  busy share of each CPU over the window, from /proc/stat.
     * @param allocBytesPerPacket Sluice's steady-state allocation per packet; NaN for the others.
     * @param detail          what the system reported at its stop.
     */
    record RunResult(double mpps, double[] cpuBusyPercent, double allocBytesPerPacket, String detail)
    {
    }

    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /**
     * @return the command: a bad argument is one line and exit status 2, a failure while measuring one line and 1.
     */
    static picocli.CommandLine commandLine()
    {
        final picocli.CommandLine commandLine = new picocli.CommandLine(new Perf());
        commandLine.setExecutionExceptionHandler((ex, cmd, parsed) ->
        {
            cmd.getErr().println("sluice perf: " + (null == ex.getMessage() ? ex.toString() : ex.getMessage()));
            return ex instanceof IllegalArgumentException && !(ex instanceof NumberFormatException) ? 2 : 1;
        });

        return commandLine;
    }

    @Override
    public Integer call() throws Exception
    {
        for (final String scenario : scenarios)
        {
            if (!SCENARIOS.contains(scenario))
            {
                throw new IllegalArgumentException("scenario '" + scenario + "' is not one of " +
                    String.join(", ", SCENARIOS));
            }
        }
        // in a fixed order: latency's shares are of what l2fwd measured
        final List<String> chosen = SCENARIOS.stream().filter((s) -> scenarios.isEmpty() || scenarios.contains(s))
            .toList();
        final List<LatencyScenario.Rate> latencyRates = rates.stream().map(LatencyScenario.Rate::parse).toList();
        if (latencyRates.isEmpty())
        {
            throw new IllegalArgumentException("--rate needs at least one rate");
        }
        final int cpus = Runtime.getRuntime().availableProcessors();
        require(runs >= 1, "--runs " + runs + ": at least 1");
        require(reactionTrials >= 1 && reactionTrials <= 60_000, "--reaction-trials " + reactionTrials + ": 1..60000");
        require(warmupS >= 0, "--warmup " + warmupS + ": at least 0");
        require(durationS >= warmupS + 2, "--duration " + durationS + ": at least --warmup + 2 (" + (warmupS + 2) +
            "), for two measured seconds");
        require(frameSize >= 64 && frameSize <= JUMBO_FRAME_MAX, "--frame-size " + frameSize + ": 64.." +
            JUMBO_FRAME_MAX + " (bytes on the wire, FCS included)");
        require(!jumbo() || chosen.stream().allMatch((s) -> "rxdrop".equals(s) || "l2fwd".equals(s)),
            "--frame-size " + frameSize + " is a jumbo frame: rxdrop and l2fwd only (name them), not " +
            String.join(", ", chosen));
        require(queues >= 1 && queues <= cpus, "--queues " + queues + ": 1.." + cpus + " (the generator sends " +
            "from one CPU per queue, and this machine has " + cpus + ")");
        require(null == sluiceIdle || List.of("spin", "yield", "backoff").contains(sluiceIdle),
            "--sluice-idle " + sluiceIdle + ": spin, yield or backoff");
        require(null == sluiceBatch || (sluiceBatch >= 1 && sluiceBatch <= 1024),
            "--sluice-batch " + sluiceBatch + ": 1..1024");
        final int[] generatorCpus = generatorCpus(genCpu, queues, cpus);
        keepOff(dutCpu, cpus);
        folder = null != out ? out : Path.of("perf-results",
            LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(folder);

        final Map<String, Object> results = new LinkedHashMap<>();
        results.put("command", commandLine(chosen));
        results.put("frame_size", frameSize);
        results.put("runs", runs);
        results.put("duration_s", durationS);
        results.put("warmup_s", warmupS);
        results.put("cpus", Runtime.getRuntime().availableProcessors());
        final Map<String, Object> scenarioResults = new LinkedHashMap<>();
        results.put("scenarios", scenarioResults);

        results.put("queues", queues);
        results.put("generator_cpus", generatorCpus);
        results.put("dut_cpu", dutCpu);

        try (TestHosts hosts = new TestHosts("perf", GEN_IF, GEN_ADDR + "/24", DUT_IF, DUT_ADDR + "/24", queues))
        {
            // NAPI on both ends, so AF_PACKET's receive side sees frames without an XDP program
            TestHosts.run("ip", "netns", "exec", hosts.dutNs(), "ethtool", "-K", DUT_IF, "gro", "on");
            if (jumbo())
            {
                hosts.mtu(JUMBO_MTU);
            }
            final byte[] template = hosts.udpToDut(GEN_ADDR, DUT_ADDR, 40_000, 9, frameSize - FCS_BYTES - 42);
            System.out.println("# " + commandLine(chosen));
            System.out.println("# test hosts " + hosts.genNs() + "/" + GEN_IF + " -> " + hosts.dutNs() + "/" + DUT_IF +
                "; " + queues + " queue(s); generator on CPU(s) " + Arrays.toString(generatorCpus) +
                ", systems on CPU " + dutCpu + ", " + frameSize + "-byte frames");

            final List<Traffic> generators = new ArrayList<>();
            try (SteeringProgram sink = NetNamespace.call(hosts.genNs(),
                    () -> SteeringProgram.open().attach(GEN_IF, XdpMode.NATIVE)))
            {
                for (int q = 0; q < generatorCpus.length; q++)
                {
                    generators.add(traffic(hosts, template, q, generatorCpus[q]));
                }
                sink.tables().add(FlowRule.of(1, FlowRule.Action.DROP));
                for (final String scenario : chosen)
                {
                    scenarioResults.put(scenario, "latency".equals(scenario) ?
                        runLatency(latencyRates, hosts, generators, sink, template, results) :
                        "reaction".equals(scenario) ? runReaction() :
                        runScenario(scenario, hosts, generators, sink));
                }
            }
            finally
            {
                for (final Traffic generator : generators)
                {
                    generator.close();
                }
            }
        }

        final Path json = folder.resolve("results.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
        System.out.println("# results: " + json.toAbsolutePath());

        return 0;
    }

    private Map<String, Object> runScenario(
        final String scenario,
        final TestHosts hosts,
        final List<Traffic> generators,
        final SteeringProgram sink)
        throws Exception
    {
        final List<String> systems = new ArrayList<>(systems(scenario));
        final Map<String, Object> entries = new LinkedHashMap<>();
        if (frameSize - FCS_BYTES > AF_XDP_PMD_FRAME_MAX)
        {
            final String reason = "DPDK 22.11's net_af_xdp takes frames of at most " + AF_XDP_PMD_FRAME_MAX +
                " bytes (one mbuf of a page, no multi-buffer)";
            systems.remove(REFERENCE);
            entries.put(REFERENCE, Map.of("left_out", reason));
            System.out.println("# " + scenario + ": " + REFERENCE + " left out: " + reason + "; the ratio is to " +
                JUMBO_REFERENCE);
        }
        final String referenceName = systems.contains(REFERENCE) ? REFERENCE : JUMBO_REFERENCE;
        final Map<String, List<RunResult>> byName = new LinkedHashMap<>();
        for (int run = 1; run <= runs; run++)
        {
            for (final String system : systems)
            {
                try (PerfSystem under = system(scenario, system, hosts, sink))
                {
                    final RunResult result = measure(under, hosts, "txonly".equals(scenario) ? List.of() : generators);
                    under.saveOutput(folder, scenario + "-" + system + "-run" + run);
                    byName.computeIfAbsent(system, (k) -> new ArrayList<>()).add(result);
                    System.out.printf(Locale.ROOT, "%-7s run %d %-15s %8.3f Mpps  cpu %s%s%n", scenario, run, system,
                        result.mpps(), cpus(result.cpuBusyPercent()), result.detail().isEmpty() ? "" :
                        "  (" + result.detail() + ")");
                }
            }
        }

        final double reference = byName.containsKey(referenceName) ?
            Medians.median(byName.get(referenceName).stream().mapToDouble(RunResult::mpps).toArray()) : Double.NaN;
        if ("l2fwd".equals(scenario) && REFERENCE.equals(referenceName))
        {
            l2fwdReferenceMpps = reference;
        }
        System.out.printf(Locale.ROOT, "%n%s, %d-byte frames, %d run(s) of %d s%n", scenario, frameSize, runs,
            durationS);
        System.out.printf(Locale.ROOT, "%-15s %9s %9s %9s %9s %9s %10s %12s%n", "system", "min Mpps", "median", "max",
            "Gbit/s", "ratio", "cpu %", "alloc B/pkt");
        for (final Map.Entry<String, List<RunResult>> entry : byName.entrySet())
        {
            final double[] mpps = entry.getValue().stream().mapToDouble(RunResult::mpps).sorted().toArray();
            final double median = Medians.median(mpps);
            final double[] cpu = meanCpu(entry.getValue());
            final double alloc = entry.getValue().stream().mapToDouble(RunResult::allocBytesPerPacket).max()
                .orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "%-15s %9.3f %9.3f %9.3f %9.2f %9.3f %10s %12s%n", entry.getKey(), mpps[0],
                median, mpps[mpps.length - 1], gbps(median), median / reference, cpus(cpu),
                Double.isNaN(alloc) ? "-" : String.format(Locale.ROOT, "%.4f", alloc));

            final Map<String, Object> system = new LinkedHashMap<>();
            system.put("min_mpps", round(mpps[0]));
            system.put("median_mpps", round(median));
            system.put("max_mpps", round(mpps[mpps.length - 1]));
            system.put("runs_mpps", Arrays.stream(mpps).map(Perf::round).toArray());
            system.put("median_gbps", round(gbps(median)));
            system.put("ratio_to_" + referenceName, Double.isNaN(reference) ? null : round(median / reference));
            system.put("cpu_busy_percent_per_core", Arrays.stream(cpu).map((c) -> Math.round(c * 10) / 10.0).toArray());
            system.put("alloc_bytes_per_packet", Double.isNaN(alloc) ? null : alloc);
            system.put("last_run", entry.getValue().get(entry.getValue().size() - 1).detail());
            entries.put(entry.getKey(), system);
        }
        System.out.println("(Gbit/s: frames with FCS, " + frameSize + " bytes each; ratio: median to " + referenceName +
            "'s)");
        System.out.println();

        return entries;
    }

    private Map<String, Object> runLatency(
        final List<LatencyScenario.Rate> latencyRates,
        final TestHosts hosts,
        final List<Traffic> generators,
        final SteeringProgram sink,
        final byte[] template,
        final Map<String, Object> results) throws Exception
    {
        String source = "median of " + REFERENCE + " in this run's l2fwd scenario";
        if (Double.isNaN(l2fwdReferenceMpps) && latencyRates.stream().anyMatch(LatencyScenario.Rate::relative))
        {
            try (PerfSystem reference = system("l2fwd", REFERENCE, hosts, sink))
            {
                l2fwdReferenceMpps = measure(reference, hosts, generators).mpps();
            }
            source = REFERENCE + " l2fwd, one run measured for the latency scenario";
        }
        final Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("l2fwd_maximum_mpps", Double.isNaN(l2fwdReferenceMpps) ? null : round(l2fwdReferenceMpps));
        latency.put("l2fwd_maximum_from", Double.isNaN(l2fwdReferenceMpps) ? null : source);
        results.put("latency", latency);

        return new LatencyScenario(hosts, GEN_IF, sink, template,
            (system) -> system("l2fwd", system, hosts, null),
            runs, durationS, warmupS, genCpu, queues, folder).run(latencyRates, l2fwdReferenceMpps, latency);
    }

    /**
     * The adaptive fast path's reaction time, on test hosts of its own: no peer does this (neither DPDK's af_xdp
     * driver nor libxdp pushes blocks into XDP), so there is no ratio.
     */
    private Map<String, Object> runReaction() throws Exception
    {
        final ReactionBench bench = new ReactionBench();
        bench.trials = reactionTrials;
        System.out.println();
        final ReactionBench.Result result = bench.measure();
        final Map<String, Object> reaction = new LinkedHashMap<>();
        reaction.put("command", String.format(Locale.ROOT, "./sluice bench reaction --trials %d --rate %d --pps %d " +
            "--window-ms %d --flood-ms %d", bench.trials, bench.ratePps, bench.thresholdPps, bench.windowMs,
            bench.floodMs));
        reaction.put("trials", bench.trials);
        reaction.put("flood_pps", bench.ratePps);
        reaction.put("block_if", Map.of("pps", bench.thresholdPps, "window_ms", bench.windowMs));
        reaction.put("fill_floor_us", round(bench.limit() * 1e6 / bench.ratePps));
        reaction.put("peer", "none: neither DPDK's af_xdp driver nor libxdp pushes blocks into XDP");
        final Map<String, Object> percentiles = new LinkedHashMap<>();
        percentiles.put("reaction", percentilesUs(result.reaction()));
        percentiles.put("arrive", percentilesUs(result.arrive()));
        percentiles.put("detect", percentilesUs(result.detect()));
        percentiles.put("push", percentilesUs(result.push()));
        percentiles.put("next", percentilesUs(result.next()));
        reaction.put("us", percentiles);

        return reaction;
    }

    private static Map<String, Object> percentilesUs(final Histogram histogram)
    {
        final Map<String, Object> values = new LinkedHashMap<>();
        values.put("count", histogram.getTotalCount());
        values.put("p50", round(histogram.getValueAtPercentile(50) / 1e3));
        values.put("p90", round(histogram.getValueAtPercentile(90) / 1e3));
        values.put("p99", round(histogram.getValueAtPercentile(99) / 1e3));
        values.put("max", round(histogram.getMaxValue() / 1e3));

        return values;
    }

    private static List<String> systems(final String scenario)
    {
        return "rxdrop".equals(scenario) ?
            List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet", "xdp-drop") :
            List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet");
    }

    /**
     * The harness's own threads (its JIT compiler, GC, the readers of each system's output) keep off the CPU the
     * systems forward on, as each system's housekeeping does: unpinned, they ran there and took slices of up to
     * 3 ms from whichever system was being measured. The prober and the generator pin their threads themselves.
     *
     * @param cpu  the systems' CPU.
     * @param cpus CPUs on this machine.
     */
    private static void keepOff(final int cpu, final int cpus)
    {
        final StringBuilder others = new StringBuilder();
        for (int c = 0; c < cpus; c++)
        {
            if (c != cpu)
            {
                others.append(others.isEmpty() ? "" : ",").append(c);
            }
        }
        if (!others.isEmpty())
        {
            TestHosts.run("taskset", "-a", "-pc", others.toString(), Long.toString(ProcessHandle.current().pid()));
        }
    }

    /**
     * Every system keeps its housekeeping off the CPU it forwards on: testpmd's main lcore (statistics) sits on the
     * generator's CPU and its worker on {@code --dut-cpu}; Sluice's process starts on the generator's CPU
     * ({@code taskset}), so its JIT compiler, GC and STAT threads run there, and its datapath thread pins itself
     * to {@code --dut-cpu}.
     */
    private PerfSystem system(
        final String scenario, final String system, final TestHosts hosts, final SteeringProgram sink)
    {
        final boolean atSender = !"rxdrop".equals(scenario);
        final TestpmdConfig.ForwardMode mode = switch (scenario)
        {
            case "l2fwd" -> TestpmdConfig.ForwardMode.MACSWAP;
            case "txonly" -> TestpmdConfig.ForwardMode.TXONLY;
            default -> TestpmdConfig.ForwardMode.RXONLY;
        };
        // the mbufs scale with the queues, each with its own rings
        final TestpmdConfig standard = TestpmdConfig.of(hosts.dutNs(), DUT_IF)
            .withMemory(TestpmdConfig.MBUFS_DEFAULT * queues, TestpmdConfig.MEMORY_MB_DEFAULT + 64 * (queues - 1))
            .withQueues(0, queues).withMode(mode).withLcores(genCpu, dutCpu);
        // a jumbo frame in one mbuf of 16 KiB: fewer of them, enough for the rings
        final TestpmdConfig testpmd = !jumbo() ? standard : standard.withMaxPacketBytes(frameSize - FCS_BYTES)
            .withMemory(JUMBO_MBUFS * queues, TestpmdConfig.MEMORY_MB_DEFAULT + 128 * (queues - 1));
        // rxdrop and l2fwd: 2048-byte UMEM frames, the size of testpmd's mbufs; jumbo: libxdp's 4096, in chains
        final String[] sizeArgs = "txonly".equals(scenario) ?
            new String[]{"--frame-bytes", Integer.toString(frameSize - FCS_BYTES)} : !jumbo() ?
            new String[]{"--frame-size", "2048"} : new String[]{"--frame-size", "4096", "--multi-buffer"};

        return switch (system)
        {
            case "sluice" -> new PerfSystem.Sluice(hosts.dutNs(), genCpu, "rx_total", atSender ? sink : null,
                concat(concat(new String[]{"bench", scenario, "--iface", DUT_IF, "--queue", "0", "--queues",
                Integer.toString(queues), "--cpu", Integer.toString(dutCpu)}, sizeArgs), tuningArgs(scenario)));
            case "dpdk-af_xdp" -> new PerfSystem.Dpdk(testpmd, atSender ? sink : null);
            case "dpdk-af_packet" -> new PerfSystem.Dpdk(testpmd.withPmd(TestpmdConfig.Pmd.AF_PACKET),
                atSender ? sink : null);
            case "xdp-drop" -> new PerfSystem.XdpDrop(hosts.dutNs(), DUT_IF);
            default -> throw new IllegalArgumentException("no system " + system);
        };
    }

    /**
     * {@code --sluice-batch} for every bench, {@code --sluice-idle} for {@code bench l2fwd}, the only one that idles.
     */
    private String[] tuningArgs(final String scenario)
    {
        final List<String> args = new ArrayList<>();
        if (null != sluiceBatch)
        {
            args.add("--batch");
            args.add(Integer.toString(sluiceBatch));
        }
        if (null != sluiceIdle && "l2fwd".equals(scenario))
        {
            args.add("--idle");
            args.add(sluiceIdle);
        }

        return args.toArray(new String[0]);
    }

    /**
     * Start the system, send for the run's duration, sample its count as it goes, stop it.
     */
    private RunResult measure(
        final PerfSystem system, final TestHosts hosts, final List<Traffic> generators) throws Exception
    {
        system.start();
        // with no generator (txonly) the traffic is the system's own, for the same time
        final List<FutureTask<Long>> traffic = new ArrayList<>();
        if (generators.isEmpty())
        {
            traffic.add(new FutureTask<>(() -> sleepFor(durationS)));
        }
        for (final Traffic generator : generators)
        {
            traffic.add(new FutureTask<>(() -> NetNamespace.call(hosts.genNs(),
                () -> generator.run(Duration.ofSeconds(durationS)))));
        }
        final long startNs = System.nanoTime();
        final long windowStartNs = startNs + warmupS * 1_000_000_000L;
        final long windowEndNs = startNs + durationS * 1_000_000_000L;
        for (final FutureTask<Long> task : traffic)
        {
            new Thread(task, "perf-generator").start();
        }

        final List<long[]> samples = new ArrayList<>();
        long[] cpuStart = null;
        long[] cpuEnd = null;
        long lastCount = -1;
        long lastSampleNs = 0;
        while (!traffic.stream().allMatch(FutureTask::isDone) || System.nanoTime() - windowEndNs < 1_200_000_000L)
        {
            Thread.sleep(POLL_MS);
            final long nowNs = System.nanoTime();
            if (null == cpuStart && nowNs >= windowStartNs)
            {
                cpuStart = CpuTicks.read();
            }
            if (null == cpuEnd && nowNs >= windowEndNs)
            {
                cpuEnd = CpuTicks.read();
            }
            final long count = system.count();
            // a count that moves once a second (a STAT line, a testpmd block) is stamped when it moves; one that
            // moves all the time is sampled once a second
            if (count != lastCount && nowNs - lastSampleNs >= 900_000_000L)
            {
                samples.add(new long[] {nowNs, count});
                lastCount = count;
                lastSampleNs = nowNs;
            }
        }
        for (final FutureTask<Long> task : traffic)
        {
            task.get();
        }
        final String detail = system.stop();
        final double[] rates = PerfSystem.inWindow(samples, windowStartNs, windowEndNs + 1_100_000_000L);
        if (0 == rates.length)
        {
            throw new IllegalStateException(system.name() + ": no per-second sample in the measured window; raise " +
                "--duration");
        }

        return new RunResult(Medians.median(rates) / 1e6, CpuTicks.busyPercent(cpuStart, cpuEnd),
            system.allocationPerPacket(), detail);
    }

    private double gbps(final double mpps)
    {
        return mpps * frameSize * 8 / 1000;
    }

    private boolean jumbo()
    {
        return frameSize > STANDARD_FRAME_MAX;
    }

    /**
     * One queue's sender: the live-frame generator, or for a frame over a page, which it cannot send, an AF_XDP
     * socket sending chains ({@link XskSender}).
     */
    private static Traffic traffic(final TestHosts hosts, final byte[] template, final int queue, final int cpu)
        throws Exception
    {
        if (template.length > TrafficGenerator.LIVE_FRAME_MAX_BYTES)
        {
            return NetNamespace.call(hosts.genNs(), () -> new XskSender(GEN_IF, queue, template, cpu));
        }
        final TrafficGenerator generator = NetNamespace.call(hosts.genNs(), () -> TrafficGenerator.builder()
            .egress(GEN_IF).template(template).sourcePorts(40_000, 64).cpu(cpu).open());

        return new Traffic()
        {
            public long run(final Duration duration)
            {
                return generator.run(duration, 0);
            }

            public void close()
            {
                generator.close();
            }
        };
    }

    private static void require(final boolean condition, final String problem)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(problem);
        }
    }

    /**
     * @param first the CPU the first queue's generator sends from.
     * @param queues the queue count.
     * @param cpus   CPUs on the machine.
     * @return for each queue q, the first CPU from {@code first} on (wrapping) whose number is q modulo
     * {@code queues}: veth's choice of the peer's RX queue for a redirected frame.
     */
    static int[] generatorCpus(final int first, final int queues, final int cpus)
    {
        final int[] chosen = new int[queues];
        for (int q = 0; q < queues; q++)
        {
            for (int k = 0; k < cpus; k++)
            {
                final int cpu = (first + k) % cpus;
                if (cpu % queues == q)
                {
                    chosen[q] = cpu;
                    break;
                }
            }
        }

        return chosen;
    }

    private static long sleepFor(final int seconds) throws InterruptedException
    {
        Thread.sleep(seconds * 1000L);
        return 0;
    }

    private static String[] concat(final String[] first, final String[] second)
    {
        final String[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);

        return all;
    }

    private static double[] meanCpu(final List<RunResult> results)
    {
        final double[] mean = new double[results.get(0).cpuBusyPercent().length];
        for (final RunResult result : results)
        {
            for (int i = 0; i < mean.length; i++)
            {
                mean[i] += result.cpuBusyPercent()[i] / results.size();
            }
        }

        return mean;
    }

    private static String cpus(final double[] busy)
    {
        final StringBuilder text = new StringBuilder();
        for (final double b : busy)
        {
            text.append(text.isEmpty() ? "" : "/").append(Math.round(b));
        }

        return text.toString();
    }

    private static double round(final double value)
    {
        return Math.round(value * 1000) / 1000.0;
    }

    private String commandLine(final List<String> chosen)
    {
        return "./sluice perf " + String.join(" ", chosen) + " --runs " + runs + " --duration " + durationS +
            " --warmup " + warmupS + " --frame-size " + frameSize + " --queues " + queues + " --gen-cpu " + genCpu +
            " --dut-cpu " + dutCpu + (chosen.contains("latency") ? " --rate " + String.join(",", rates) : "") +
            (chosen.contains("reaction") ? " --reaction-trials " + reactionTrials : "") +
            (null != sluiceIdle ? " --sluice-idle " + sluiceIdle : "") +
            (null != sluiceBatch ? " --sluice-batch " + sluiceBatch : "");
    }
}
