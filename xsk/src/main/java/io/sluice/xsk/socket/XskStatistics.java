package io.sluice.xsk.socket;

/**
 * The kernel's {@code struct xdp_statistics} for one socket, from {@code getsockopt(XDP_STATISTICS)}.
 *
 * @param rxDropped             frames dropped before reaching the RX ring: no frame on the fill ring (copy mode),
 *                              or too long for a frame.
 * @param rxInvalidDescs        invalid descriptors on the fill ring.
 * @param txInvalidDescs        invalid descriptors on the TX ring.
 * @param rxRingFull            frames dropped because the RX ring was full.
 * @param rxFillRingEmptyDescs  times the kernel found the fill ring empty; in copy mode each such frame is also in
 *                              {@code rxDropped}.
 * @param txRingEmptyDescs      times the kernel found the TX ring empty when woken.
 */
public record XskStatistics(
    long rxDropped,
    long rxInvalidDescs,
    long txInvalidDescs,
    long rxRingFull,
    long rxFillRingEmptyDescs,
    long txRingEmptyDescs)
{
    /**
     * @return frames the kernel had for this socket but could not deliver to it.
     */
    public long rxLost()
    {
        return rxDropped + rxRingFull;
    }

    /**
     * @param other another socket's statistics.
     * @return the two added field by field, for totals over several queues.
     */
    public XskStatistics plus(final XskStatistics other)
    {
        return new XskStatistics(rxDropped + other.rxDropped, rxInvalidDescs + other.rxInvalidDescs,
            txInvalidDescs + other.txInvalidDescs, rxRingFull + other.rxRingFull,
            rxFillRingEmptyDescs + other.rxFillRingEmptyDescs, txRingEmptyDescs + other.txRingEmptyDescs);
    }

    /**
     * @return the fields as {@code name=value} pairs, as the bench tools print them.
     */
    public String format()
    {
        return "rx_dropped=" + rxDropped +
            " rx_invalid_descs=" + rxInvalidDescs +
            " tx_invalid_descs=" + txInvalidDescs +
            " rx_ring_full=" + rxRingFull +
            " rx_fill_ring_empty_descs=" + rxFillRingEmptyDescs +
            " tx_ring_empty_descs=" + txRingEmptyDescs;
    }
}
