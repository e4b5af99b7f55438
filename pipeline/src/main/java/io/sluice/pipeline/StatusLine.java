package io.sluice.pipeline;

import java.util.Locale;

/**
 * The one-line live status {@code run} and {@code demo} print each second: rates in, out and dropped since the
 * last line, and ring health. Reads counters only; never touches the data path.
 */
public final class StatusLine
{
    private final PacketProcessor processor;
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
        this.processor = processor;
        startNs = nowNs;
        lastNs = nowNs;
    }

    /**
     * @param nowNs {@code System.nanoTime()}.
     * @return the line for the interval since the last call.
     */
    public String next(final long nowNs)
    {
        final PipelineStats stats = processor.pipeline().stats();
        final long kernelDropped = processor.kernelDropped();
        final long in = stats.get(PipelineCounter.RECEIVED) + kernelDropped;
        final long out = stats.get(PipelineCounter.REFLECTED) + stats.get(PipelineCounter.FORWARDED);
        final long dropped = kernelDropped + stats.get(PipelineCounter.DROPPED) + stats.get(PipelineCounter.COUNTED) +
            stats.get(PipelineCounter.PARSE_ERROR) + stats.get(PipelineCounter.TX_DROPPED);
        final double seconds = Math.max(1, nowNs - lastNs) / 1e9;
        final String line = String.format(Locale.ROOT,
            "%6.1fs  in %7.3f Mpps  out %7.3f Mpps  dropped %7.3f Mpps | ring %d/%d  tx %d | kernel drops %d  " +
            "backpressure %d  tx stalls %d  parse errors %d",
            (nowNs - startNs) / 1e9,
            (in - lastIn) / seconds / 1e6, (out - lastOut) / seconds / 1e6, (dropped - lastDropped) / seconds / 1e6,
            stats.inRing(), processor.pipeline().config().ringSize(), stats.outstandingTx(), kernelDropped,
            stats.get(PipelineCounter.RX_BACKPRESSURE), stats.get(PipelineCounter.TX_STALLS),
            stats.get(PipelineCounter.PARSE_ERROR));
        lastNs = nowNs;
        lastIn = in;
        lastOut = out;
        lastDropped = dropped;

        return line;
    }
}
