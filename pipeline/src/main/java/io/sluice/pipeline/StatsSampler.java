package io.sluice.pipeline;

import io.sluice.pipeline.rules.Filter;
import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.XskStatistics;
import io.sluice.xsk.xdp.Stat;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Copies what only the kernel counts into the counters file, off the data path: each socket's
 * {@code XDP_STATISTICS}, the XDP program's per-outcome and per-rule counters (BPF map reads), whether each socket
 * runs zero-copy, and each queue's receive rate, every {@value #STATISTICS_PERIOD_MS} ms; and, every
 * {@value #PERIOD_MS} ms, whether the interface is there, its link up and the program still its program. A duty of
 * the {@link Conductor}, whose thread is the sets' only writer; once the conductor has stopped,
 * {@link #sampleLast()} takes a last sample on the stopping thread, so the file holds the final counts.
 */
public final class StatsSampler
{
    /**
     * Watchdog period: how soon a deleted interface, a removed program or a link going down is seen. A second, with
     * the statistics: each look costs about a millisecond of the conductor's core (netlink queries, a BPF call,
     * sysfs), and at ten a second that was 1% of a core taken in millisecond pieces. Where that core is shared with
     * anything timed (the perf harness's latency prober, on a 2-core host), it was Sluice's p99 round trip: 600 to
     * 1,300 us at 10% load against testpmd's 25 to 56 us.
     */
    public static final long PERIOD_MS = 1000;

    /**
     * How often the kernel's statistics and the process's are copied in: enough for a one-second
     * {@code stats --watch} or scrape. Each copy allocates (syscall and map-read buffers, records), so a long run
     * sees the young generation fill this slowly; the data path allocates nothing.
     */
    public static final long STATISTICS_PERIOD_MS = 1000;

    private static final CountersFile.Metric[] SOCKET_METRICS = {
        CountersFile.Metric.counter("sluice_xdp_socket_rx_dropped_total",
            "XDP_STATISTICS: frames the kernel dropped for this socket (copy mode: no fill ring entry, or too long)"),
        CountersFile.Metric.counter("sluice_xdp_socket_rx_invalid_descs_total",
            "XDP_STATISTICS: invalid descriptors on the fill ring"),
        CountersFile.Metric.counter("sluice_xdp_socket_tx_invalid_descs_total",
            "XDP_STATISTICS: invalid descriptors on the TX ring"),
        CountersFile.Metric.counter("sluice_xdp_socket_rx_ring_full_total",
            "XDP_STATISTICS: frames dropped because the RX ring was full"),
        CountersFile.Metric.counter("sluice_xdp_socket_rx_fill_ring_empty_descs_total",
            "XDP_STATISTICS: times the kernel found the fill ring empty"),
        CountersFile.Metric.counter("sluice_xdp_socket_tx_ring_empty_descs_total",
            "XDP_STATISTICS: times the kernel found the TX ring empty when woken"),
        CountersFile.Metric.gauge("sluice_xsk_zero_copy",
            "1 if the socket runs in zero-copy mode, 0 in copy mode"),
        CountersFile.Metric.gauge("sluice_queue_rx_packets_per_second",
            "frames the queue received (read by Sluice or dropped by the kernel for it) per second, last second"),
    };
    private static final CountersFile.Metric RULE_PACKETS = CountersFile.Metric.counter(
        "sluice_xdp_rule_packets_total",
        "XDP program: packets each steering rule decided; (retired): rules since removed");
    private static final int ZERO_COPY = 6;
    private static final int RATE = 7;

    private final XskSocket[] sockets;
    private final CounterSet[] socketSets;
    private final SteeringProgram program;
    private final CounterSet programSet;
    private final CountersFile file;
    private final String iface;
    private final CounterSet retiredRules;
    private volatile CounterSet ruleSet;
    private final long[] lastReceived;
    private final Pipeline pipeline;
    private final CounterSet pipelineSet;
    private final java.nio.file.Path operstateFile;
    private final CounterSet linkSet;
    private final CounterSet processSet;
    private volatile Health health = new Health(SteeringProgram.Presence.ATTACHED, true, 0);
    private long lastRateNs;
    private long nextSampleNs;

    /**
     * Allocate the series; the conductor samples.
     *
     * @param file        the instance's counters.
     * @param iface       the interface, for labels.
     * @param sockets     the ingress sockets, one per queue.
     * @param program     the steering program.
     * @param ruleNames   the steering rules' names, by id.
     * @param pipeline    the pipeline, for its ring's occupancy.
     */
    public StatsSampler(
        final CountersFile file,
        final String iface,
        final XskSocket[] sockets,
        final SteeringProgram program,
        final List<String> ruleNames,
        final Pipeline pipeline)
    {
        this.pipeline = pipeline;
        operstateFile = java.nio.file.Path.of("/sys/class/net", iface, "operstate");
        linkSet = file.allocate(labels(iface),
            CountersFile.Metric.gauge("sluice_link_up", "1 while the interface's link is up (operstate up), else 0"),
            CountersFile.Metric.counter("sluice_link_down_total", "times the interface's link went down"),
            CountersFile.Metric.gauge("sluice_xdp_attached",
                "1 while Sluice's XDP program is the interface's, 0 once another tool replaced or removed it"));
        processSet = file.allocate("",
            CountersFile.Metric.counter("sluice_jvm_gc_collections_total",
                "garbage collections in the Sluice process, all collectors (the hot path allocates nothing)"),
            CountersFile.Metric.gauge("sluice_jvm_heap_used_bytes", "Java heap in use"),
            CountersFile.Metric.gauge("sluice_process_resident_memory_bytes", "resident set size (VmRSS)"));
        pipelineSet = file.allocate(labels(iface),
            CountersFile.Metric.gauge("sluice_pipeline_ring_used", "events in the pipeline's ring, not yet done with"),
            CountersFile.Metric.gauge("sluice_pipeline_tx_outstanding",
                "frames in transmitter batches or the kernel's TX path"));
        this.sockets = sockets.clone();
        this.program = program;
        socketSets = new CounterSet[sockets.length];
        for (int i = 0; i < sockets.length; i++)
        {
            socketSets[i] = file.allocate(Labels.and(labels(iface), "queue", sockets[i].queue()), SOCKET_METRICS);
        }
        final XdpCounter[] counters = XdpCounter.values();
        final CountersFile.Metric packets = CountersFile.Metric.counter("sluice_xdp_packets_total",
            "XDP program: packets by what it decided or saw (the counter label)");
        final CountersFile.Metric bytes = CountersFile.Metric.counter("sluice_xdp_bytes_total",
            "XDP program: bytes by what it decided or saw (the counter label)");
        final CountersFile.Metric[] programMetrics = new CountersFile.Metric[2 * counters.length];
        final String[] programLabels = new String[2 * counters.length];
        for (final XdpCounter counter : counters)
        {
            programMetrics[2 * counter.id()] = packets;
            programMetrics[2 * counter.id() + 1] = bytes;
            programLabels[2 * counter.id()] = Labels.and(labels(iface), "counter", counter.key());
            programLabels[2 * counter.id() + 1] = programLabels[2 * counter.id()];
        }
        programSet = file.allocate(programMetrics, programLabels);
        this.file = file;
        this.iface = iface;
        ruleSet = steeringSeries(ruleNames);
        retiredRules = file.allocate(Labels.and(labels(iface), "rule", Filter.RETIRED_LABEL), RULE_PACKETS);
        lastReceived = new long[sockets.length];
        lastRateNs = System.nanoTime();
        nextSampleNs = lastRateNs;
    }

    /**
     * A reload's steering rules: their series from now on, the removed rules' gone and the new ones' from zero.
     * On the conductor's thread.
     *
     * @param ruleNames the steering rules' names, by id.
     */
    void steeringRules(final List<String> ruleNames)
    {
        final CounterSet old = ruleSet;
        ruleSet = steeringSeries(ruleNames);
        file.free(old);
    }

    private CounterSet steeringSeries(final List<String> ruleNames)
    {
        final CountersFile.Metric[] ruleMetrics = new CountersFile.Metric[ruleNames.size()];
        final String[] ruleLabels = new String[ruleNames.size()];
        for (int id = 0; id < ruleNames.size(); id++)
        {
            ruleMetrics[id] = RULE_PACKETS;
            ruleLabels[id] = Labels.and(labels(iface), "rule", ruleNames.get(id));
        }

        return file.allocate(ruleMetrics, ruleLabels);
    }

    /**
     * @return the interface and program as of the last sample, at most {@value #PERIOD_MS} ms old.
     */
    public Health health()
    {
        return health;
    }

    /**
     * The conductor's duty: the watchdog every {@value #PERIOD_MS} ms, the statistics every
     * {@value #STATISTICS_PERIOD_MS} ms.
     *
     * @param nowNs {@code System.nanoTime()} of the duty cycle.
     * @return 1 if it sampled, else 0.
     */
    public int doWork(final long nowNs)
    {
        if (nowNs - nextSampleNs < 0)
        {
            return 0;
        }
        nextSampleNs = nowNs + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
        try
        {
            sample(nowNs, false);
        }
        catch (final RuntimeException ex)
        {
            // a socket or map closing under us at stop: the stopping thread samples last
            System.getLogger(StatsSampler.class.getName()).log(System.Logger.Level.WARNING,
                "sampling counters: {0}", ex.toString());
        }

        return 1;
    }

    /**
     * @return {@code System.nanoTime()} at which {@link #doWork(long)} next samples.
     */
    public long nextSampleNs()
    {
        return nextSampleNs;
    }

    /**
     * The last sample, once the conductor has stopped: the calling thread becomes the sets' writer.
     */
    public void sampleLast()
    {
        sample(System.nanoTime(), true);
    }

    /**
     * @param last true for the final sample at stop, which copies everything whenever it is taken.
     */
    private void sample(final long nowNs, final boolean last)
    {
        final boolean rate = nowNs - lastRateNs >= TimeUnit.MILLISECONDS.toNanos(STATISTICS_PERIOD_MS);
        watch();
        if (!rate && !last)
        {
            return;
        }
        for (int i = 0; i < sockets.length; i++)
        {
            final XskStatistics stats;
            try
            {
                stats = sockets[i].statistics();
            }
            catch (final RuntimeException ex)
            {
                // the device went away under the socket: its last statistics stay
                continue;
            }
            final CounterSet set = socketSets[i];
            set.set(0, stats.rxDropped());
            set.set(1, stats.rxInvalidDescs());
            set.set(2, stats.txInvalidDescs());
            set.set(3, stats.rxRingFull());
            set.set(4, stats.rxFillRingEmptyDescs());
            set.set(5, stats.txRingEmptyDescs());
            set.set(ZERO_COPY, sockets[i].zeroCopy() ? 1 : 0);
            final long received = sockets[i].counter(XskCounter.RX_FRAMES) + stats.rxLost();
            if (rate)
            {
                set.set(RATE, Math.round((received - lastReceived[i]) * 1e9 / (nowNs - lastRateNs)));
                lastReceived[i] = received;
            }
        }
        if (rate)
        {
            lastRateNs = nowNs;
        }
        for (final XdpCounter counter : XdpCounter.values())
        {
            final Stat stat = program.counter(counter);
            programSet.set(2 * counter.id(), stat.packets());
            programSet.set(2 * counter.id() + 1, stat.bytes());
        }
        final CounterSet ruleSet = this.ruleSet;
        for (int id = 0; id < ruleSet.size(); id++)
        {
            ruleSet.set(id, program.tables().ruleStat(id).packets());
        }
        retiredRules.set(0, program.tables().retiredStat().packets());
        final PipelineStats stats = pipeline.stats();
        pipelineSet.set(0, stats.inRing());
        pipelineSet.set(1, stats.outstandingTx());
        if (rate)
        {
            sampleProcess();
        }
    }

    /**
     * Once a second: what the process itself uses, read through the JDK's beans and /proc, which allocate.
     */
    private void sampleProcess()
    {
        long collections = 0;
        for (final java.lang.management.GarbageCollectorMXBean collector :
            java.lang.management.ManagementFactory.getGarbageCollectorMXBeans())
        {
            collections += Math.max(0, collector.getCollectionCount());
        }
        processSet.set(0, collections);
        processSet.set(1, java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        processSet.set(2, residentBytes());
    }

    private static long residentBytes()
    {
        try
        {
            for (final String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return 1024 * Long.parseLong(line.substring("VmRSS:".length()).replace("kB", "").strip());
                }
            }
        }
        catch (final java.io.IOException | NumberFormatException ex)
        {
            // unknown: 0
        }

        return 0;
    }

    /**
     * The watchdog: whether the interface is there, its link up, and Sluice's program still its program.
     */
    private void watch()
    {
        SteeringProgram.Presence presence;
        try
        {
            presence = program.presence();
        }
        catch (final RuntimeException ex)
        {
            presence = SteeringProgram.Presence.INTERFACE_GONE;
        }
        final String operstate = operstate();
        // "unknown" is what devices without carrier reporting say (loopback, some tunnels): not down
        final boolean up = null == operstate || !"down".equals(operstate) && !"lowerlayerdown".equals(operstate);
        // the last snapshot holds the link's state and its downs so far: this thread is its only writer
        final Health last = health;
        final long linkDowns = last.linkDowns() + (last.linkUp() && !up ? 1 : 0);
        if (linkDowns != last.linkDowns())
        {
            linkSet.set(1, linkDowns);
        }
        linkSet.set(0, up ? 1 : 0);
        linkSet.set(2, SteeringProgram.Presence.ATTACHED == presence ? 1 : 0);
        if (last.presence() != presence || last.linkUp() != up || last.linkDowns() != linkDowns)
        {
            // a new snapshot only when something changed
            health = new Health(presence, up, linkDowns);
        }
    }

    private String operstate()
    {
        try
        {
            return java.nio.file.Files.readString(operstateFile).strip();
        }
        catch (final java.io.IOException ex)
        {
            // not in this mount namespace's sysfs (a thread that entered a network namespace), or gone
            return null;
        }
    }

    /**
     * The interface and program, as a watchdog sees them.
     *
     * @param presence  whether Sluice's program is the interface's.
     * @param linkUp    whether the link is up.
     * @param linkDowns times it went down.
     */
    public record Health(SteeringProgram.Presence presence, boolean linkUp, long linkDowns)
    {
    }

    private static String labels(final String iface)
    {
        return Labels.of("iface", iface);
    }
}
