package io.sluice.pipeline;

import io.sluice.xsk.counters.CounterDescriptor;

/**
 * The pipeline's named counters. Every frame read from an RX ring ends in exactly one <em>outcome</em>, so once the
 * pipeline has drained, {@link #RECEIVED} equals the sum of the outcomes; the others describe ring health.
 * Parse errors are also counted per reason (see {@code ParseError}).
 */
public enum PipelineCounter implements CounterDescriptor
{
    RECEIVED(0, "received", false, "frames read from the RX rings"),
    DROPPED(1, "drop", true, "dropped by a drop rule (or the default action)"),
    COUNTED(2, "count", true, "counted by a count rule, then dropped"),
    REFLECTED(3, "reflect", true, "sent back out of the interface they came in on"),
    FORWARDED(4, "forward", true, "sent out of another interface, from the same UMEM frame"),
    PARSE_ERROR(5, "parse_error", true, "malformed: dropped, and counted per reason"),
    TX_DROPPED(6, "tx_ring_full_drop", true, "dropped: the TX ring stayed full past the retry bound"),
    RX_BACKPRESSURE(7, "rx_backpressure", false, "receive polls skipped because the pipeline's ring was full"),
    TX_STALLS(8, "tx_stalls", false, "times the TX ring was full and the transmitter held back to retry"),

    /**
     * A mirror rule's frames: offered to the packet capture, then dropped.
     */
    MIRRORED(9, "mirror", true, "offered to the packet capture by a mirror rule, then dropped"),

    /**
     * Frames whose XDP metadata carried no rules generation: the driver had no room for it. They are judged by the
     * newest rules, so across a reload such a frame may meet a filter newer than the steering rule that took it.
     */
    UNSTAMPED(10, "unstamped", false, "frames without the rules generation in their XDP metadata (a driver " +
        "without metadata room): judged by the newest rules");

    private static final PipelineCounter[] BY_ID = values();

    private final int id;
    private final String key;
    private final boolean outcome;
    private final String description;

    PipelineCounter(final int id, final String key, final boolean outcome, final String description)
    {
        this.id = id;
        this.key = key;
        this.outcome = outcome;
        this.description = description;
    }

    /**
     * @return index in a {@link Counters} set.
     */
    @Override
    public int id()
    {
        return id;
    }

    /**
     * @return name for tables and metrics, e.g. {@code parse_error}.
     */
    @Override
    public String key()
    {
        return key;
    }

    /**
     * @return true if a frame ends here: the outcomes partition {@link #RECEIVED}.
     */
    @Override
    public boolean isOutcome()
    {
        return outcome;
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
     * @param id {@link #id()}.
     * @return the counter.
     */
    public static PipelineCounter get(final int id)
    {
        return BY_ID[id];
    }
}
