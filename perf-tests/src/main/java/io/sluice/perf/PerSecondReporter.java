package io.sluice.perf;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The {@code STAT} line a benchmark prints each second from a thread of its own, and the measure of the hot
 * threads' allocation: {@code ThreadMXBean.getThreadAllocatedBytes}, summed over them, per packet. The first
 * {@value #WARMUP_SECONDS} seconds in which packets move are warm-up and left out of the steady figure: the first
 * frames load and initialise classes and run interpreted, and a traffic source may start long after the benchmark
 * (a latency prober's first frames come seconds after READY). What the warm-up allocated is reported on its own.
 * <pre>
 * STAT t=3 rx_mpps=6.401 rx_pps=6401234 rx_total=19203702 rx_lost=0 alloc_bytes=0
 * </pre>
 */
final class PerSecondReporter
{
    /**
     * Seconds of traffic before allocation counts: measured, the first frames allocate for about two (class
     * initialisation, interpreted and C1 code, lambdas met for the first time), and nothing after.
     */
    static final int WARMUP_SECONDS = 2;

    private final Thread thread;
    private volatile double steadyAllocationPerPacket;
    private volatile long warmupAllocatedBytes;

    /**
     * @param direction {@code rx} or {@code tx}: the fields' prefix.
     * @param packets   the hot threads' running count.
     * @param extra     more fields after the total, e.g. {@code " rx_lost=3"}; "" for none.
     * @param threadIds the hot threads, whose allocation is measured.
     */
    PerSecondReporter(
        final String direction, final LongSupplier packets, final Supplier<String> extra, final long... threadIds)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        thread = new Thread(() ->
        {
            long lastPackets = 0;
            long lastNs = System.nanoTime();
            long lastAllocated = allocated(threads, threadIds);
            long steadyPackets = 0;
            long steadyBytes = 0;
            warmupAllocatedBytes = lastAllocated;
            int second = 0;
            int trafficSeconds = 0;
            while (!Thread.currentThread().isInterrupted())
            {
                try
                {
                    Thread.sleep(1000);
                }
                catch (final InterruptedException ex)
                {
                    break;
                }
                final long nowNs = System.nanoTime();
                final long count = packets.getAsLong();
                final long allocated = allocated(threads, threadIds);
                second++;
                if (trafficSeconds >= WARMUP_SECONDS)
                {
                    steadyPackets += count - lastPackets;
                    steadyBytes += allocated - lastAllocated;
                    steadyAllocationPerPacket = steadyPackets > 0 ? (double)steadyBytes / steadyPackets : 0;
                }
                else
                {
                    // this thread alone writes it
                    warmupAllocatedBytes += allocated - lastAllocated;
                    if (count > lastPackets)
                    {
                        trafficSeconds++;
                    }
                }
                final double pps = (count - lastPackets) * 1e9 / (nowNs - lastNs);
                System.out.println(String.format(Locale.ROOT, "STAT t=%d %s_mpps=%.3f %s_pps=%.0f %s_total=%d%s " +
                    "alloc_bytes=%d", second, direction, pps / 1e6, direction, pps, direction, count, extra.get(),
                    allocated - lastAllocated));
                System.out.flush();
                lastPackets = count;
                lastNs = nowNs;
                lastAllocated = allocated;
            }
        }, direction + "-stats");
        thread.setDaemon(true);
    }

    private static long allocated(final com.sun.management.ThreadMXBean threads, final long[] threadIds)
    {
        long bytes = 0;
        for (final long id : threadIds)
        {
            // -1 for a thread that has ended
            bytes += Math.max(0, threads.getThreadAllocatedBytes(id));
        }

        return bytes;
    }

    void start()
    {
        thread.start();
    }

    void stop() throws InterruptedException
    {
        thread.interrupt();
        thread.join();
    }

    /**
     * @return bytes the hot threads allocated per packet after the warm-up.
     */
    double steadyAllocationPerPacket()
    {
        return steadyAllocationPerPacket;
    }

    /**
     * @return bytes the hot threads allocated before and during the warm-up.
     */
    long warmupAllocatedBytes()
    {
        return warmupAllocatedBytes;
    }
}
