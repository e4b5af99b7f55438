package io.sluice.pipeline.blocking;

/**
 * A filter rule's {@code block_if}: when the frames one source prefix sends through the rule exceed a rate over a
 * sliding window, the detector flags the prefix and the blocker blocks it in XDP.
 * <pre>{@code
 * block_if: {pps: 50000, window_ms: 100}              # a UDP or ICMP flood: any frame the rule matches counts
 * block_if: {pps: 2000, window_ms: 1000, syn_ratio: 8} # a SYN flood: SYNs count, and they must also outnumber
 *                                                      # the handshakes the source completed 8 to 1
 * }</pre>
 *
 * @param rule       index of the filter rule.
 * @param ruleName   its name.
 * @param pps        the rate, frames (or SYNs) per second, above which the prefix is flagged.
 * @param windowNs   the sliding window the rate is measured over.
 * @param synRatio   0 for a rate trigger; otherwise SYNs (SYN set, ACK clear) are counted, and the prefix is also
 *                   flagged only while its SYNs exceed this many times its completed handshakes (plus one).
 * @param prefixV4   length of the IPv4 prefix counted and blocked, 1..32.
 * @param prefixV6   length of the IPv6 prefix counted and blocked, 1..128.
 * @param ttlNs      how long the block lasts, or 0 for the blocking policy's default.
 */
public record BlockTrigger(
    int rule,
    String ruleName,
    long pps,
    long windowNs,
    int synRatio,
    int prefixV4,
    int prefixV6,
    long ttlNs)
{
    public static final long WINDOW_NS_DEFAULT = 1_000_000_000L;
    public static final long WINDOW_NS_MAX = 60_000_000_000L;

    /**
     * @throws IllegalArgumentException naming the field.
     */
    public BlockTrigger
    {
        if (pps < 1)
        {
            throw new IllegalArgumentException("block_if: pps must be at least 1, not " + pps);
        }
        if (windowNs < 1_000_000L || windowNs > WINDOW_NS_MAX)
        {
            throw new IllegalArgumentException("block_if: window_ms must be 1..60000, not " + windowNs / 1_000_000L);
        }
        if (limit(pps, windowNs) < 1)
        {
            throw new IllegalArgumentException("block_if: at " + pps + " pps a " + windowNs / 1_000_000L +
                " ms window holds less than one frame; raise pps or window_ms");
        }
        if (synRatio < 0)
        {
            throw new IllegalArgumentException("block_if: syn_ratio must be at least 1, not " + synRatio);
        }
        if (prefixV4 < 1 || prefixV4 > 32)
        {
            throw new IllegalArgumentException("block_if: prefix must be 1..32, not " + prefixV4);
        }
        if (prefixV6 < 1 || prefixV6 > 128)
        {
            throw new IllegalArgumentException("block_if: prefix6 must be 1..128, not " + prefixV6);
        }
        if (ttlNs < 0)
        {
            throw new IllegalArgumentException("block_if: ttl_s must be at least 1");
        }
    }

    /**
     * @return frames (or SYNs) a window may hold before the prefix is flagged.
     */
    public long limit()
    {
        return limit(pps, windowNs);
    }

    private static long limit(final long pps, final long windowNs)
    {
        return (long)((double)pps * windowNs / 1_000_000_000.0);
    }
}
