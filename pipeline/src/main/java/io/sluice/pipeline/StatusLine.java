package io.sluice.pipeline;

import io.sluice.xsk.counters.CountersView;

import java.util.Locale;
import java.util.Map;

/**
 * The one-line live status {@code run} and {@code demo} print each second, built from the instance's counters file
 * as {@code ./sluice stats} reads it: rates in, out and dropped since the last line, and ring health. Never touches
 * the data path.
 */
public final class StatusLine
{
    private final CountersView counters;
    private final int ringSize;
    private final long startNs;
    private long lastNs;
    private long lastIn;
    private long lastOut;
    private long lastDropped;

    /**
     * @param processor what to report on.
     * @param nowNs     {@code System.nanoTime()} at the start.
     */
    public StatusLine(final PacketProcessor processor, final long nowNs)
    {
        counters = processor.counters().view();
        ringSize = processor.pipeline().config().ringSize();
        startNs = nowNs;
        lastNs = nowNs;
    }

    /**
     * @param nowNs {@code System.nanoTime()}.
     * @return the line for the interval since the last call.
     */
    public String next(final long nowNs)
    {
        final Map<String, Long> sums = counters.sums();
        final long kernelDropped = sum(sums, "xdp_socket_rx_dropped") + sum(sums, "xdp_socket_rx_ring_full");
        final long in = sum(sums, "pipeline_received") + kernelDropped;
        final long out = sum(sums, "pipeline_reflect") + sum(sums, "pipeline_forward");
        final long dropped = kernelDropped + sum(sums, "pipeline_drop") + sum(sums, "pipeline_count") +
            sum(sums, "pipeline_parse_error") + sum(sums, "pipeline_tx_ring_full_drop");
        final double seconds = Math.max(1, nowNs - lastNs) / 1e9;
        final String line = String.format(Locale.ROOT,
            "%6.1fs  in %7.3f Mpps  out %7.3f Mpps  dropped %7.3f Mpps | ring %d/%d  tx %d | kernel drops %d  " +
            "backpressure %d  tx stalls %d  parse errors %d",
            (nowNs - startNs) / 1e9,
            (in - lastIn) / seconds / 1e6, (out - lastOut) / seconds / 1e6, (dropped - lastDropped) / seconds / 1e6,
            sums.getOrDefault("sluice_pipeline_ring_used", 0L), ringSize,
            sums.getOrDefault("sluice_pipeline_tx_outstanding", 0L), kernelDropped,
            sum(sums, "pipeline_rx_backpressure"), sum(sums, "pipeline_tx_stalls"), sum(sums, "pipeline_parse_error"));
        lastNs = nowNs;
        lastIn = in;
        lastOut = out;
        lastDropped = dropped;

        return line;
    }

    private static long sum(final Map<String, Long> sums, final String counter)
    {
        return sums.getOrDefault("sluice_" + counter + "_total", 0L);
    }
}
