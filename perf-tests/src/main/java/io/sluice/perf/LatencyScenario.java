package io.sluice.perf;

import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.SteeringProgram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

import java.io.FileNotFoundException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The perf harness's latency scenario. The test host's {@link LatencyProbe} sends stamped frames at each fixed rate
 * to a reflector (Sluice's {@code bench l2fwd}, testpmd {@code macswap} on AF_XDP and on AF_PACKET) and records the
 * round trips of the frames that come back, steered into its own AF_XDP sockets (one per queue) by the test host's
 * XDP program.
 * <p>
 * Per run, each system is started once, warmed for {@code warmup} + 1 seconds at the first rate through the whole
 * measuring path, and probed at every
 * rate in turn, systems alternating from run to run. Each probe's first {@code warmup} seconds are left out of the
 * percentiles (loss and reordering count every frame of the probe); the rest goes, a second at a time, into one
 * HdrHistogram log per system and rate ({@code latency-SYSTEM-RATE.hlog}), and merged over the runs into the
 * percentiles printed and written to {@code results.json}. Loss, reordering and duplicates count every frame sent.
 * {@code latency.png} plots the percentile distributions, one panel per rate and one curve per system.
 */
final class LatencyScenario
{
    static final List<String> SYSTEMS = List.of("sluice", "dpdk-af_xdp", "dpdk-af_packet");

    /**
     * Percentiles reported, with their names in the results.
     */
    static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};
    static final String[] PERCENTILE_NAMES = {"p50", "p90", "p99", "p99.9", "p99.99"};

    /**
     * The prober stamps scheduled send times, which corrects coordinated omission at the source; the recorder adds
     * no fill-in on top (see {@link LatencyRecorder}).
     */
    private static final long SCHEDULED_STAMPS = 0;

    /**
     * A rate no prober reaches: it sends as fast as it can, 64 frames at a time.
     */
    private static final long UNPACED_PPS = 100_000_000L;
    private static final int CAPACITY_S = 3;

    /**
     * The most seconds a warm-up is extended while a JIT compiles.
     */
    private static final int SETTLE_MAX_S = 20;

    /**
     * Compiler thread ticks (of 10 ms) a second may hold and count as settled.
     */
    private static final long SETTLED_TICKS = 1;

    private static final XskConfig PROBE_RINGS = XskConfig.defaults().withRings(4096, 4096, 4096, 4096);
    private static final int PROBE_FRAMES = 16_384;

    /**
     * One {@code --rate}: a share of the measured maximum ({@code 50%}) or frames per second ({@code 250000},
     * {@code 250k}, {@code 1.2M}).
     *
     * @param label   as given, for the tables and file names.
     * @param percent the share, or NaN for an absolute rate.
     * @param pps     the absolute rate, or 0 for a share.
     */
    record Rate(String label, double percent, long pps)
    {
        private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)%");
        private static final Pattern ABSOLUTE = Pattern.compile("(\\d+(?:\\.\\d+)?)([kKmM]?)");

        static Rate parse(final String text)
        {
            final String trimmed = text.trim();
            final Matcher percent = PERCENT.matcher(trimmed);
            if (percent.matches())
            {
                final double share = Double.parseDouble(percent.group(1));
                if (share <= 0 || share > 100)
                {
                    throw new IllegalArgumentException("--rate " + trimmed + ": a share must be above 0% and at most " +
                        "100%");
                }
                return new Rate(trimmed, share, 0);
            }
            final Matcher absolute = ABSOLUTE.matcher(trimmed);
            if (absolute.matches())
            {
                final double scale = switch (absolute.group(2).toLowerCase(Locale.ROOT))
                {
                    case "k" -> 1e3;
                    case "m" -> 1e6;
                    default -> 1;
                };
                final long pps = Math.round(Double.parseDouble(absolute.group(1)) * scale);
                if (pps < 1 || pps > 100_000_000L)
                {
                    throw new IllegalArgumentException("--rate " + trimmed + ": frames per second must be 1..100M");
                }
                return new Rate(trimmed, Double.NaN, pps);
            }

            throw new IllegalArgumentException("--rate '" + trimmed + "' is neither a share of the measured maximum " +
                "(50%) nor frames per second (250000, 250k, 1.2M)");
        }

        boolean relative()
        {
            return !Double.isNaN(percent);
        }

        long resolve(final double maxPps)
        {
            return relative() ? Math.max(1, Math.round(maxPps * percent / 100)) : pps;
        }

        /**
         * @return the label as a file name part: {@code 50pct}, {@code 250kpps}.
         */
        String fileLabel()
        {
            return relative() ? label.replace("%", "pct") : label + "pps";
        }
    }

    /**
     * What one system showed at one rate, over all runs.
     */
    static final class Outcome
    {
        final Histogram histogram = new Histogram(LatencyRecorder.HIGHEST_TRACKABLE_NS, 3);
        final HistogramLogWriter log;
        final String logName;
        long sent;
        long received;
        long lost;
        long reordered;
        long duplicates;
        long stale;
        long foreign;
        long scheduled;

        Outcome(final Path folder, final String logName, final String comment) throws FileNotFoundException
        {
            this(new HistogramLogWriter(folder.resolve(logName).toFile()), logName, comment);
        }

        private Outcome(final HistogramLogWriter log, final String logName, final String comment)
        {
            this.logName = logName;
            this.log = log;
            final long nowMs = System.currentTimeMillis();
            log.outputComment(comment);
            log.outputLogFormatVersion();
            log.outputStartTime(nowMs);
            log.setBaseTime(nowMs);
            log.outputBaseTime(nowMs);
            log.outputLegend();
        }

        /**
         * @return an outcome whose log goes nowhere, for a warm-up.
         */
        static Outcome discarded()
        {
            return new Outcome(new HistogramLogWriter(OutputStream.nullOutputStream()), "", "warm-up");
        }
    }

    private final TestHosts hosts;
    private final String genIf;
    private final SteeringProgram sink;
    private final byte[] template;
    private final Function<String, PerfSystem> reflectors;
    private final int runs;
    private final int durationS;
    private final int warmupS;
    private final int genCpu;
    private final int queues;
    private final Path folder;

    /**
     * @param hosts      the test hosts.
     * @param genIf      the test host's interface, where {@code sink} is attached.
     * @param sink       the test host's XDP program; for the scenario it steers everything into the probe's sockets.
     * @param template   the frame to send, to the system's side.
     * @param reflectors makes the reflector for a system name.
     * @param runs       runs per system.
     * @param durationS  seconds per rate per run.
     * @param warmupS    seconds of each probe left out.
     * @param genCpu     CPU for the probe.
     * @param queues     queues of {@code genIf}: the probe receives on each.
     * @param folder     where the logs and the plot go.
     */
    LatencyScenario(
        final TestHosts hosts,
        final String genIf,
        final SteeringProgram sink,
        final byte[] template,
        final Function<String, PerfSystem> reflectors,
        final int runs,
        final int durationS,
        final int warmupS,
        final int genCpu,
        final int queues,
        final Path folder)
    {
        this.hosts = hosts;
        this.genIf = genIf;
        this.sink = sink;
        this.template = template.clone();
        this.reflectors = reflectors;
        this.runs = runs;
        this.durationS = durationS;
        this.warmupS = warmupS;
        this.genCpu = genCpu;
        this.queues = queues;
        this.folder = folder;
    }

    /**
     * Run it, print its table, write its logs and plot.
     *
     * @param rates        the rates, in order.
     * @param l2fwdMaxMpps what the reference reflector reached in the l2fwd scenario, or NaN when no rate is a
     *                     share.
     * @param meta         where the maximum, the rates resolved and the clock are written for {@code results.json}.
     * @return per system, per rate label: the figures for {@code results.json}.
     */
    Map<String, Object> run(final List<Rate> rates, final double l2fwdMaxMpps, final Map<String, Object> meta)
        throws Exception
    {
        final long[] ratesPps = new long[rates.size()];
        final Map<String, Map<String, Outcome>> outcomes = new LinkedHashMap<>();
        try (Umem umem = Umem.create(UmemConfig.defaults().withFrameCount(PROBE_FRAMES * queues));
            QueueSockets probeSockets = NetNamespace.call(hosts.genNs(),
                () -> QueueSockets.open(umem, genIf, 0, queues, PROBE_RINGS)))
        {
            final XskSocket[] sockets = probeSockets.sockets();
            try
            {
                for (final XskSocket socket : sockets)
                {
                    socket.registerWith(sink);
                }
                sink.tables().steerAll(true);
                final LatencyProbe probe = new LatencyProbe(sockets, template);
                resolve(rates, l2fwdMaxMpps, probe, ratesPps, meta);
                for (int run = 1; run <= runs; run++)
                {
                    // systems alternate from run to run, so that drift in the machine spreads over all of them
                    for (int i = 0; i < SYSTEMS.size(); i++)
                    {
                        final String system = SYSTEMS.get((i + run - 1) % SYSTEMS.size());
                        try (PerfSystem reflector = reflectors.apply(system))
                        {
                            reflector.start();
                            // its JIT (Sluice's) and caches warm on the first rate, outside any figure, and so does
                            // every path of this harness that runs while a figure is taken (the prober, the
                            // recorder, the per-second log): a C2 compile on the prober's CPU stalls it for ms
                            probe(probe, ratesPps[0], warmupS + 1, Outcome.discarded(), run);
                            final int settledS = settle(probe, ratesPps[0], reflector, run);
                            System.out.printf(Locale.ROOT, "latency run %d %-15s JIT settled after %d more s%n",
                                run, system, settledS);
                            for (int r = 0; r < rates.size(); r++)
                            {
                                final Outcome outcome = outcome(outcomes, system, rates.get(r), ratesPps[r]);
                                // a collection now, between probes, and the young generation ./sluice perf starts
                                // with, so that none stops the prober's thread in a measured one: a 25 ms pause of
                                // it was a 25 ms stall of whichever system it was measuring; the warm-up's probes,
                                // whose figures are dropped, need none
                                System.gc();
                                probe(probe, ratesPps[r], durationS, outcome, run);
                                System.out.printf(Locale.ROOT, "latency run %d %-15s %8s %,10d pps  p99 %s us  " +
                                    "sent %,d lost %,d%n", run, system, rates.get(r).label(), ratesPps[r],
                                    micros(outcome.histogram.getValueAtPercentile(99)), outcome.sent, outcome.lost);
                            }
                            final String detail = reflector.stop();
                            System.out.println("latency run " + run + " " + system + " stopped: " + detail);
                            reflector.saveOutput(folder, "latency-" + system + "-run" + run);
                        }
                    }
                }
            }
            finally
            {
                sink.tables().steerAll(false);
                for (final XskSocket socket : sockets)
                {
                    sink.unregisterSocket(socket.queue());
                }
                for (final Map<String, Outcome> bySystem : outcomes.values())
                {
                    for (final Outcome outcome : bySystem.values())
                    {
                        outcome.log.close();
                    }
                }
            }
        }

        final List<String> labels = new ArrayList<>();
        final List<String> titles = new ArrayList<>();
        for (int r = 0; r < rates.size(); r++)
        {
            labels.add(rates.get(r).label());
            titles.add(String.format(Locale.ROOT, "round trip at %s (%,d pps)", rates.get(r).label(), ratesPps[r]));
        }
        LatencyPlot.write(folder.resolve("latency.png"), labels, titles, histograms(outcomes));

        return report(rates, ratesPps, outcomes);
    }

    /**
     * Turn shares into frames per second. 100% is the lower of two maxima: what the reference reflector forwarded in
     * the l2fwd scenario (from the generator), and what the prober itself gets back through it when it sends as fast
     * as it can. The prober is one thread that also carries the kernel's receive work for the reflector's side of
     * the veth, so it can be the slower of the two; a rate above what it can send would measure the prober's queue,
     * not the reflector.
     */
    private void resolve(
        final List<Rate> rates, final double l2fwdMaxMpps, final LatencyProbe probe, final long[] ratesPps,
        final Map<String, Object> meta) throws Exception
    {
        double maximumPps = Double.NaN;
        if (rates.stream().anyMatch(Rate::relative))
        {
            final double proberPps;
            try (PerfSystem reference = reflectors.apply(Perf.REFERENCE))
            {
                reference.start();
                probe.run(UNPACED_PPS, 1, genCpu, new LatencyRecorder(probe.nextSequence(), SCHEDULED_STAMPS));
                final LatencyRecorder recorder = new LatencyRecorder(probe.nextSequence(), SCHEDULED_STAMPS);
                probe.run(UNPACED_PPS, CAPACITY_S, genCpu, recorder);
                proberPps = recorder.distinct() / (double)CAPACITY_S;
                reference.stop();
            }
            maximumPps = Math.min(l2fwdMaxMpps * 1e6, proberPps);
            meta.put("prober_maximum_mpps", Math.round(proberPps / 1e3) / 1e3);
            meta.put("maximum_mpps", Math.round(maximumPps / 1e3) / 1e3);
            meta.put("maximum_from", proberPps < l2fwdMaxMpps * 1e6 ? "prober" : "l2fwd");
            System.out.printf(Locale.ROOT, "# latency: 100%% = %.3f Mpps, the lower of %s l2fwd %.3f Mpps and the " +
                "prober's own round trips through it, %.3f Mpps%n", maximumPps / 1e6, Perf.REFERENCE, l2fwdMaxMpps,
                proberPps / 1e6);
        }
        final Map<String, Object> resolved = new LinkedHashMap<>();
        for (int r = 0; r < rates.size(); r++)
        {
            ratesPps[r] = rates.get(r).resolve(maximumPps);
            resolved.put(rates.get(r).label(), ratesPps[r]);
        }
        meta.put("rates_pps", resolved);
        meta.put("clock", "CLOCK_MONOTONIC (System.nanoTime); both stamps taken by the prober's one thread");
        meta.put("plot", "latency.png");
    }

    private Outcome outcome(
        final Map<String, Map<String, Outcome>> outcomes, final String system, final Rate rate, final long pps)
        throws FileNotFoundException
    {
        final Map<String, Outcome> bySystem = outcomes.computeIfAbsent(system, (k) -> new LinkedHashMap<>());
        Outcome outcome = bySystem.get(rate.label());
        if (null == outcome)
        {
            outcome = new Outcome(folder, "latency-" + system + "-" + rate.fileLabel() + ".hlog",
                "sluice perf latency: " + system + " reflecting at " + rate.label() + " = " + pps + " pps; round " +
                "trips in ns (CLOCK_MONOTONIC) from scheduled send times, which corrects coordinated omission; " +
                warmupS + " s warm-up of " +
                "each run left out");
            bySystem.put(rate.label(), outcome);
        }

        return outcome;
    }

    /**
     * Go on warming, a second at a time, until neither this JVM's JIT (the prober's and the recorder's paths) nor the
     * reflector's, if it is a JVM, compiled for more than {@link #SETTLED_TICKS} tick in the last second: unsettled,
     * the harness's C2 took 4 ms slices of the prober's CPU in the measured seconds of the first system of a run.
     *
     * @return the seconds added.
     */
    private int settle(final LatencyProbe probe, final long pps, final PerfSystem reflector, final int run)
        throws Exception
    {
        final long self = ProcessHandle.current().pid();
        long ticks = TaskTicks.compilerTicks(self) + TaskTicks.compilerTicks(reflector.pid());
        int added = 0;
        while (added < SETTLE_MAX_S)
        {
            probe(probe, pps, 1, Outcome.discarded(), run);
            added++;
            final long now = TaskTicks.compilerTicks(self) + TaskTicks.compilerTicks(reflector.pid());
            if (now - ticks <= SETTLED_TICKS)
            {
                break;
            }
            ticks = now;
        }

        return added;
    }

    /**
     * One probe at one rate: the prober's thread sends and records a histogram per second; this thread only waits,
     * then logs the seconds and adds the counted ones (all but the first {@code warmupS}).
     */
    private void probe(
        final LatencyProbe probe, final long pps, final int seconds, final Outcome outcome, final int run)
        throws Exception
    {
        // one more second for the frames that come back after the last is sent
        final LatencyRecorder recorder = new LatencyRecorder(probe.nextSequence(), SCHEDULED_STAMPS, seconds + 1);
        final long foreignBefore = probe.foreign();
        final FutureTask<Long> sending = new FutureTask<>(() -> probe.run(pps, seconds, genCpu, recorder));
        final Thread thread = new Thread(sending, "latency-probe");
        final long wallMs = System.currentTimeMillis();
        final long wallAtNs = System.nanoTime();
        thread.start();
        final long sent = sending.get();
        thread.join();

        final long startNs = recorder.startNs();
        // the start on CLOCK_MONOTONIC, to line the log up with a trace taken with trace_clock=mono
        outcome.log.outputComment("run " + run + " started at CLOCK_MONOTONIC " + startNs + " ns; seconds after " +
            warmupS + " counted");
        final Histogram[] intervals = recorder.intervals();
        for (int second = warmupS; second < intervals.length; second++)
        {
            final Histogram interval = intervals[second];
            final long intervalStartMs = wallMs + (startNs - wallAtNs) / 1_000_000 + second * 1000L;
            interval.setStartTimeStamp(intervalStartMs);
            interval.setEndTimeStamp(intervalStartMs + 1000);
            outcome.log.outputIntervalHistogram(interval);
            outcome.histogram.add(interval);
        }

        outcome.sent += sent;
        outcome.scheduled += pps * seconds;
        outcome.received += recorder.received();
        outcome.lost += recorder.lost(sent);
        outcome.reordered += recorder.reordered();
        outcome.duplicates += recorder.duplicates();
        outcome.stale += recorder.stale();
        outcome.foreign += probe.foreign() - foreignBefore;
    }

    private Map<String, Object> report(
        final List<Rate> rates, final long[] ratesPps, final Map<String, Map<String, Outcome>> outcomes)
    {
        System.out.printf(Locale.ROOT, "%nlatency, %d run(s) of %d s per rate (first %d s left out), round trip in " +
            "us, from scheduled send times (corrects coordinated omission)%n", runs, durationS, warmupS);
        System.out.printf(Locale.ROOT, "%-15s %7s %10s %8s %8s %8s %8s %8s %9s %11s %7s %7s %5s %7s%n", "system",
            "rate", "pps", "p50", "p90", "p99", "p99.9", "p99.99", "max", "sent", "lost", "reord", "dup", "p99/ref");
        final Map<String, Object> entries = new LinkedHashMap<>();
        for (final String system : SYSTEMS)
        {
            final Map<String, Outcome> bySystem = outcomes.get(system);
            if (null == bySystem)
            {
                continue;
            }
            final Map<String, Object> byRate = new LinkedHashMap<>();
            for (int r = 0; r < rates.size(); r++)
            {
                final Outcome outcome = bySystem.get(rates.get(r).label());
                final Outcome reference = outcomes.getOrDefault(Perf.REFERENCE, Map.of()).get(rates.get(r).label());
                final Histogram h = outcome.histogram;
                final double ratio = null == reference || 0 == reference.histogram.getTotalCount() ? Double.NaN :
                    (double)h.getValueAtPercentile(99) / reference.histogram.getValueAtPercentile(99);
                System.out.printf(Locale.ROOT, "%-15s %7s %,10d %8s %8s %8s %8s %8s %9s %,11d %,7d %,7d %,5d %7s%s%n",
                    system, rates.get(r).label(), ratesPps[r], micros(h.getValueAtPercentile(50)),
                    micros(h.getValueAtPercentile(90)), micros(h.getValueAtPercentile(99)),
                    micros(h.getValueAtPercentile(99.9)), micros(h.getValueAtPercentile(99.99)),
                    micros(h.getMaxValue()), outcome.sent, outcome.lost, outcome.reordered, outcome.duplicates,
                    Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2f", ratio),
                    outcome.sent == outcome.scheduled ? "" : "  (prober fell behind: " + outcome.sent + " of " +
                    outcome.scheduled + " sent)");

                final Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("rate_pps", ratesPps[r]);
                for (int p = 0; p < PERCENTILES.length; p++)
                {
                    entry.put(PERCENTILE_NAMES[p] + "_us", microsValue(h.getValueAtPercentile(PERCENTILES[p])));
                }
                entry.put("max_us", microsValue(h.getMaxValue()));
                entry.put("mean_us", Math.round(h.getMean()) / 1000.0);
                entry.put("round_trips_recorded", h.getTotalCount());
                entry.put("sent", outcome.sent);
                entry.put("prober_kept_up", outcome.sent == outcome.scheduled);
                entry.put("received", outcome.received);
                entry.put("lost", outcome.lost);
                entry.put("reordered", outcome.reordered);
                entry.put("duplicates", outcome.duplicates);
                entry.put("stale", outcome.stale);
                entry.put("foreign_frames", outcome.foreign);
                entry.put("p99_ratio_to_" + Perf.REFERENCE, Double.isNaN(ratio) ? null : Math.round(ratio * 1000) /
                    1000.0);
                entry.put("hlog", outcome.logName);
                byRate.put(rates.get(r).label(), entry);
            }
            entries.put(system, Map.of("rates", byRate));
        }
        System.out.println();

        return entries;
    }

    private static String micros(final long ns)
    {
        return String.format(Locale.ROOT, "%.1f", ns / 1000.0);
    }

    private static double microsValue(final long ns)
    {
        return Math.round(ns / 10.0) / 100.0;
    }

    /**
     * @param outcomes per system, per rate label.
     * @return the histograms alone, for the plot.
     */
    static Map<String, Map<String, Histogram>> histograms(final Map<String, Map<String, Outcome>> outcomes)
    {
        final Map<String, Map<String, Histogram>> histograms = new LinkedHashMap<>();
        outcomes.forEach((system, byRate) ->
        {
            final Map<String, Histogram> copy = new LinkedHashMap<>();
            byRate.forEach((rate, outcome) -> copy.put(rate, outcome.histogram));
            histograms.put(system, copy);
        });

        return histograms;
    }
}
