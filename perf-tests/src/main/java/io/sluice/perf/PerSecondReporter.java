package io.sluice.perf;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The {@code STAT} line a benchmark prints each second from a thread of its own, and the measure of the hot
 * threads' allocation: {@code ThreadMXBean.getThreadAllocatedBytes}, summed over them, per packet, leaving out the
 * first second (class loading, JIT).
 * <pre>
 * STAT t=3 rx_mpps=6.401 rx_pps=6401234 rx_total=19203702 rx_lost=0 alloc_bytes=0
 * </pre>
 */
final class PerSecondReporter
{
    private final Thread thread;
    private volatile double steadyAllocationPerPacket;

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
            int second = 0;
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
                if (second > 1)
                {
                    steadyPackets += count - lastPackets;
                    steadyBytes += allocated - lastAllocated;
                    steadyAllocationPerPacket = steadyPackets > 0 ? (double)steadyBytes / steadyPackets : 0;
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
     * @return bytes the hot thread allocated per packet after its first second.
     */
    double steadyAllocationPerPacket()
    {
        return steadyAllocationPerPacket;
    }
}
