package io.sluice.xsk.socket;

/**
 * How an AF_XDP socket is set up. Immutable; {@code withX} methods return a copy.
 *
 * @param rxRingSize         RX ring slots, a power of two; 0 for a socket that only transmits.
 * @param txRingSize         TX ring slots, a power of two; 0 for a socket that only receives.
 * @param fillRingSize       fill ring slots, a power of two.
 * @param completionRingSize completion ring slots, a power of two.
 * @param zeroCopy           whether zero-copy must, may or must not be used.
 * @param needWakeup         bind with {@code XDP_USE_NEED_WAKEUP}, so the kernel is only woken when it asks.
 * @param busyPoll           busy-poll socket options.
 * @param multiBuffer        bind with {@code XDP_USE_SG}: a packet larger than one UMEM frame arrives, and may be sent, as
 *                           a chain of frames (see {@link XskSocket#receivePackets}); off, the kernel drops it and
 *                           counts it (rx_dropped).
 * @param prefill            fill the fill ring completely from the UMEM's pool, before the bind, so the driver finds buffers when it enables its queue.
 * @param bindRetryMs        how long to retry a bind that fails with EBUSY (the queue's previous socket is still
 *                           being torn down).
 * @param profileSource      where these values came from (a profile file), named in errors.
 */
public record XskConfig(
    int rxRingSize,
    int txRingSize,
    int fillRingSize,
    int completionRingSize,
    ZeroCopyPolicy zeroCopy,
    boolean needWakeup,
    BusyPoll busyPoll,
    boolean multiBuffer,
    boolean prefill,
    long bindRetryMs,
    String profileSource)
{
    /**
     * libxdp's {@code XSK_RING_CONS__DEFAULT_NUM_DESCS}.
     */
    public static final int RX_RING_SIZE_DEFAULT = 2048;

    /**
     * libxdp's {@code XSK_RING_PROD__DEFAULT_NUM_DESCS}.
     */
    public static final int TX_RING_SIZE_DEFAULT = 2048;

    /**
     * Twice the RX ring, as xdpsock sizes it: while the application holds a full RX ring's worth of frames, the
     * kernel still has a full ring's worth to receive into.
     */
    public static final int FILL_RING_SIZE_DEFAULT = 2 * RX_RING_SIZE_DEFAULT;

    /**
     * As the TX ring: every frame in flight can complete without waiting for the application.
     */
    public static final int COMPLETION_RING_SIZE_DEFAULT = TX_RING_SIZE_DEFAULT;

    /**
     * Long enough for the kernel's deferred teardown of a closed socket on the same queue (an RCU grace period and
     * a work item), short enough that a real conflict is reported promptly.
     */
    public static final long BIND_RETRY_MS_DEFAULT = 2000;

    public XskConfig
    {
        ring("rx_ring_size", rxRingSize, true, profileSource);
        ring("tx_ring_size", txRingSize, true, profileSource);
        ring("fill_ring_size", fillRingSize, false, profileSource);
        ring("completion_ring_size", completionRingSize, false, profileSource);
        if (0 == rxRingSize && 0 == txRingSize)
        {
            throw new IllegalArgumentException("a socket needs an RX or a TX ring" + where(profileSource));
        }
        if (null == zeroCopy || null == busyPoll)
        {
            throw new IllegalArgumentException("zero_copy and busy poll settings are required" + where(profileSource));
        }
        if (bindRetryMs < 0)
        {
            throw new IllegalArgumentException("bind retry must be >= 0 ms" + where(profileSource));
        }
    }

    /**
     * @return libxdp's ring sizes (fill twice the RX ring), zero-copy preferred, need_wakeup on, no busy poll.
     */
    public static XskConfig defaults()
    {
        return new XskConfig(RX_RING_SIZE_DEFAULT, TX_RING_SIZE_DEFAULT, FILL_RING_SIZE_DEFAULT,
            COMPLETION_RING_SIZE_DEFAULT, ZeroCopyPolicy.PREFER, true, BusyPoll.OFF, false, true, BIND_RETRY_MS_DEFAULT,
            null);
    }

    public XskConfig withRings(final int rx, final int tx, final int fill, final int completion)
    {
        return new XskConfig(rx, tx, fill, completion, zeroCopy, needWakeup, busyPoll, multiBuffer, prefill, bindRetryMs,
            profileSource);
    }

    public XskConfig withZeroCopy(final ZeroCopyPolicy policy)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, policy, needWakeup, busyPoll,
            multiBuffer, prefill, bindRetryMs, profileSource);
    }

    public XskConfig withNeedWakeup(final boolean on)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, zeroCopy, on, busyPoll,
            multiBuffer, prefill, bindRetryMs, profileSource);
    }

    public XskConfig withBusyPoll(final BusyPoll options)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, zeroCopy, needWakeup, options,
            multiBuffer, prefill, bindRetryMs, profileSource);
    }

    public XskConfig withPrefill(final boolean on)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, zeroCopy, needWakeup, busyPoll,
            multiBuffer, on, bindRetryMs, profileSource);
    }

    /**
     * @param on bind with {@code XDP_USE_SG} (multi-buffer packets).
     * @return a copy with it.
     */
    public XskConfig withMultiBuffer(final boolean on)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, zeroCopy, needWakeup, busyPoll,
            on, prefill, bindRetryMs, profileSource);
    }

    public XskConfig withBindRetryMs(final long ms)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, zeroCopy, needWakeup, busyPoll,
            multiBuffer, prefill, ms, profileSource);
    }

    public XskConfig withProfileSource(final String source)
    {
        return new XskConfig(rxRingSize, txRingSize, fillRingSize, completionRingSize, zeroCopy, needWakeup, busyPoll,
            multiBuffer, prefill, bindRetryMs, source);
    }

    private static void ring(final String name, final int size, final boolean zeroAllowed, final String source)
    {
        if ((0 == size && zeroAllowed) || (size > 0 && size <= (1 << 24) && Integer.bitCount(size) == 1))
        {
            return;
        }

        throw new IllegalArgumentException(name + " must be a power of two" + (zeroAllowed ? " or 0" : "") +
            " up to 16777216, not " + size + where(source));
    }

    static String where(final String profileSource)
    {
        return null == profileSource ? "" : " (" + profileSource + ")";
    }
}
