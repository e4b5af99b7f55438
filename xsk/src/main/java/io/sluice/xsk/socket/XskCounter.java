package io.sluice.xsk.socket;

import io.sluice.xsk.counters.CounterDescriptor;
import io.sluice.xsk.counters.CountersFile;

/**
 * A socket's data-path counters, as Aeron's {@code SystemCounterDescriptor}: the data path never throws, it counts.
 * Each socket keeps them in a {@code long[]} indexed by {@link #id()}, written only by the socket's owner thread.
 */
public enum XskCounter implements CounterDescriptor
{
    RX_FRAMES(0, "frames read from the RX ring"),
    RX_EMPTY_POLLS(1, "receive calls that found the RX ring empty"),
    RX_WAKEUPS(2, "recvfrom wake-ups because the fill ring asked for one"),
    RX_WAKEUP_ERRORS(3, "recvfrom wake-ups that failed with an unexpected errno"),
    FILL_FRAMES(4, "frames put on the fill ring"),
    FILL_RING_FULL(5, "fill calls that could not place every frame"),
    TX_FRAMES(6, "frames put on the TX ring"),
    TX_RING_FULL(7, "transmit calls that could not place every frame"),
    TX_KICKS(8, "sendto wake-ups of the TX ring"),
    TX_KICK_EAGAIN(9, "TX wake-ups answered EAGAIN (kernel busy, retry)"),
    TX_KICK_EBUSY(10, "TX wake-ups answered EBUSY (frames still in flight)"),
    TX_KICK_ENOBUFS(11, "TX wake-ups answered ENOBUFS (no skb for copy mode)"),
    TX_KICK_ENETDOWN(12, "TX wake-ups answered ENETDOWN (link down)"),
    TX_KICK_ERRORS(13, "TX wake-ups that failed with an unexpected errno"),
    COMPLETIONS(14, "frames read from the completion ring"),
    RX_MULTI_BUFFER_PACKETS(15, "packets read whole that spanned more than one frame (multi-buffer)"),
    RX_CHAINS_CUT(16, "multi-buffer chains cut short: more buffers than a packet may span, with no end");

    private final int id;
    private final String description;

    XskCounter(final int id, final String description)
    {
        this.id = id;
        this.description = description;
    }

    /**
     * @return the index in a socket's counters.
     */
    @Override
    public int id()
    {
        return id;
    }

    /**
     * @return what it counts, for people.
     */
    @Override
    public String description()
    {
        return description;
    }

    /**
     * @return false: a socket's counters describe its rings' traffic and health, not a frame's end.
     */
    @Override
    public boolean isOutcome()
    {
        return false;
    }

    /**
     * @return every counter as a Prometheus metric, {@code sluice_xsk_rx_frames_total}, in id order.
     */
    public static CountersFile.Metric[] metrics()
    {
        final XskCounter[] counters = values();
        final CountersFile.Metric[] metrics = new CountersFile.Metric[counters.length];
        for (final XskCounter counter : counters)
        {
            metrics[counter.id()] = CountersFile.Metric.counter("sluice_xsk_" + counter.key() + "_total",
                "AF_XDP socket: " + counter.description());
        }

        return metrics;
    }

    /**
     * @return the counter's name in lower case, as printed and exported.
     */
    @Override
    public String key()
    {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
