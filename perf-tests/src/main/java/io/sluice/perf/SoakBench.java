package io.sluice.perf;

import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.util.NetNamespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./sluice bench soak}: {@code ./sluice run} for a long run at a share of its maximum rate, measured first in
 * the same run, reflecting every frame; every {@code --every} seconds a line from its counters file, and at the end
 * what a long-running data plane is judged by: garbage collections after warm-up (target 0), resident memory growth
 * (target flat) and packets unaccounted (target 0).
 * <pre>
 * ./sluice bench soak --duration 600 --share 0.8
 * </pre>
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run Sluice at a share of its measured maximum for a long time: GC, RSS growth, unaccounted")
public final class SoakBench implements Callable<Integer>
{
    private static final String GEN = "10.229.0.1";
    private static final String DUT = "10.229.0.2";
    private static final String RULES = """
        steer:
          - {name: udp-9, proto: udp, dst_port: 9, action: steer}
        filter:
          - {name: reflect-9, proto: udp, dst_port: 9, action: reflect, swap: [ip, ports]}
        default: drop
        """;

    @Option(names = "--duration", description = "seconds of soak (default ${DEFAULT-VALUE})")
    int durationS = 600;

    @Option(names = "--share", description = "share of the measured maximum rate (default ${DEFAULT-VALUE})")
    double share = 0.8;

    @Option(names = "--probe", description = "seconds flat out to measure the maximum (default ${DEFAULT-VALUE})")
    int probeS = 10;

    @Option(names = "--warmup", description = "seconds of soak before GC and memory are baselined " +
        "(default ${DEFAULT-VALUE})")
    int warmupS = 60;

    @Option(names = "--every", description = "seconds between progress lines (default ${DEFAULT-VALUE})")
    int everyS = 30;

    @Override
    public Integer call() throws Exception
    {
        if (durationS <= warmupS || share <= 0 || share > 1 || probeS < 1 || everyS < 1)
        {
            throw new IllegalArgumentException("need --duration > --warmup, 0 < --share <= 1, --probe >= 1, " +
                "--every >= 1");
        }
        final String instance = "soak-" + ProcessHandle.current().pid();
        final Path rules = Files.createTempFile("sluice-soak", ".yaml");
        Files.writeString(rules, RULES);
        System.out.printf(Locale.ROOT, "sluice bench soak --duration %d --share %.2f --probe %d --warmup %d%n",
            durationS, share, probeS, warmupS);
        try (TestHosts hosts = new TestHosts("soak", "soak0", GEN + "/24", "soak1", DUT + "/24");
            SluiceProcess run = SluiceProcess.startOn(hosts.dutNs(), 0, "run", "--iface", hosts.dutIf(),
                "--rules", rules.toString(), "--instance", instance, "--quiet", "--cores", "1", "--idle", "spin"))
        {
            if (!run.await("sluice: counters in ", 120))
            {
                throw new IllegalStateException("sluice run did not start:\n" + run.output());
            }
            final Path counters = CountersFile.fileOf(instance);
            final byte[] template = hosts.udpToDut(GEN, DUT, 4000, 9, 22);

            final long vethErrors0 = TestHosts.vethRefused(hosts.genNs(), hosts.genIf());
            final long received0 = sums(counters).getOrDefault("sluice_pipeline_received_total", 0L);
            final long probed = send(hosts, template, Duration.ofSeconds(probeS), 0);
            final long received1 = sums(counters).getOrDefault("sluice_pipeline_received_total", 0L);
            final long maxPps = (received1 - received0) / probeS;
            final long ratePps = Math.max(1, (long)(maxPps * share));
            System.out.printf(Locale.ROOT, "probe: %d s flat out, %d sent, Sluice received %.3f Mpps; soak at " +
                "%.0f%% = %.3f Mpps for %d s%n", probeS, probed, maxPps / 1e6, share * 100, ratePps / 1e6, durationS);

            final CompletableFuture<Long> soaking = CompletableFuture.supplyAsync(() ->
                send(hosts, template, Duration.ofSeconds(durationS), ratePps));
            final long startNs = System.nanoTime();
            long gcAtWarm = -1;
            long rssAtWarm = -1;
            long maxRss = 0;
            System.out.println("     s   received Mpps   kernel drops   gc   heap MiB   rss MiB");
            long lastReceived = received1;
            long lastNs = startNs;
            while (!soaking.isDone())
            {
                Thread.sleep(TimeUnit.SECONDS.toMillis(everyS));
                final Map<String, Long> now = sums(counters);
                final long nowNs = System.nanoTime();
                final long received = now.getOrDefault("sluice_pipeline_received_total", 0L);
                final long rss = now.getOrDefault("sluice_process_resident_memory_bytes", 0L);
                final long gc = now.getOrDefault("sluice_jvm_gc_collections_total", 0L);
                if (gcAtWarm < 0 && nowNs - startNs >= TimeUnit.SECONDS.toNanos(warmupS))
                {
                    gcAtWarm = gc;
                    rssAtWarm = rss;
                }
                if (gcAtWarm >= 0)
                {
                    maxRss = Math.max(maxRss, rss);
                }
                System.out.printf(Locale.ROOT, "%6d %15.3f %14d %4d %10.1f %9.1f%n", (nowNs - startNs) / 1_000_000_000L,
                    (received - lastReceived) * 1e3 / (nowNs - lastNs), kernelDrops(now), gc,
                    now.getOrDefault("sluice_jvm_heap_used_bytes", 0L) / 1048576.0, rss / 1048576.0);
                lastReceived = received;
                lastNs = nowNs;
            }
            final long soaked = soaking.join();
            Thread.sleep(1500);
            final Map<String, Long> end = sums(counters);
            run.signal("TERM");
            final int exit = run.waitFor(60);
            final long steered = run.row("  steered to AF_XDP");
            final long sent = probed + soaked;
            // frames the generator redirected that veth could not queue to the DUT (its ring full): lost before
            // any XDP program saw them, counted by veth, not Sluice's to count
            final long vethLost = TestHosts.vethRefused(hosts.genNs(), hosts.genIf()) - vethErrors0;
            // every generated frame matches the steering rule; the kernels' own packets (ICMP for the reflections)
            // are passed, and counted there
            final long unaccounted = sent - vethLost - steered;
            final boolean balanced = !run.line("accounting: balanced").isEmpty();
            final long gcEnd = end.getOrDefault("sluice_jvm_gc_collections_total", 0L);
            final long rssEnd = end.getOrDefault("sluice_process_resident_memory_bytes", 0L);
            System.out.printf(Locale.ROOT, "soak: %d s at %.3f Mpps, %d frames sent, %d lost in veth before XDP " +
                "(xdp_xmit_errors and tx_dropped), %d steered to Sluice, unaccounted %d (target 0), accounting %s, " +
                "exit %d%n", durationS, ratePps / 1e6, sent, vethLost, steered, unaccounted,
                balanced ? "balanced" : "NOT balanced", exit);
            System.out.printf(Locale.ROOT, "soak: GC after warm-up %d (target 0); RSS %.1f MiB at warm-up, " +
                "%.1f MiB at the end, %.1f MiB at most (growth %+.1f MiB; target flat)%n", gcEnd - gcAtWarm,
                rssAtWarm / 1048576.0, rssEnd / 1048576.0, maxRss / 1048576.0, (rssEnd - rssAtWarm) / 1048576.0);
            for (final String line : run.lines())
            {
                if (line.startsWith("  ") || line.startsWith("offered") || line.startsWith("accounting"))
                {
                    System.out.println(line);
                }
            }

            return balanced && 0 == unaccounted && 0 == exit ? 0 : 1;
        }
        finally
        {
            Files.deleteIfExists(rules);
            CountersFile.remove(instance);
        }
    }

    private static long send(final TestHosts hosts, final byte[] template, final Duration duration, final long pps)
    {
        try
        {
            return NetNamespace.call(hosts.genNs(), () ->
            {
                try (TrafficGenerator generator = TrafficGenerator.builder().egress(hosts.genIf()).template(template)
                    .cpu(0).open())
                {
                    return generator.run(duration, pps);
                }
            });
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("generator: " + ex.getMessage(), ex);
        }
    }

    private static Map<String, Long> sums(final Path counters)
    {
        try (CountersView view = CountersView.open(counters))
        {
            return view.sums();
        }
    }

    private static long kernelDrops(final Map<String, Long> sums)
    {
        return sums.getOrDefault("sluice_xdp_socket_rx_dropped_total", 0L) +
            sums.getOrDefault("sluice_xdp_socket_rx_ring_full_total", 0L);
    }
}
