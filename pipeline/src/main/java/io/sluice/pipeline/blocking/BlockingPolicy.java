package io.sluice.pipeline.blocking;

import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SteeringDescriptor;

import java.util.List;

/**
 * The rules file's {@code blocking} section: what every block shares.
 * <pre>{@code
 * blocking:
 *   ttl_s: 60                # how long a detector's block lasts, unless its block_if says (default 60)
 *   max_blocks: 1024         # simultaneous blocks; a block past the cap is skipped and counted (default 1024)
 *   track: 65536             # source prefixes the detector tracks, a power of two (default 65536)
 *   allow: [10.0.0.0/8]      # never blocked, by the detector, an operator or a covering prefix
 * }</pre>
 *
 * @param ttlNs     default block lifetime.
 * @param maxBlocks most blocks at once.
 * @param track     the detector's table size.
 * @param allow     the allowlist.
 */
public record BlockingPolicy(long ttlNs, int maxBlocks, int track, List<Prefix> allow)
{
    public static final long TTL_NS_DEFAULT = 60_000_000_000L;
    public static final long TTL_S_MAX = 7 * 24 * 3600;
    public static final int MAX_BLOCKS_DEFAULT = 1024;
    public static final int TRACK_DEFAULT = 65536;
    public static final int TRACK_MIN = 64;
    public static final int TRACK_MAX = 1 << 24;

    /**
     * The defaults, with no allowlist.
     */
    public static final BlockingPolicy DEFAULTS =
        new BlockingPolicy(TTL_NS_DEFAULT, MAX_BLOCKS_DEFAULT, TRACK_DEFAULT, List.of());

    /**
     * @throws IllegalArgumentException naming the field.
     */
    public BlockingPolicy
    {
        if (ttlNs < 1_000_000_000L || ttlNs > TTL_S_MAX * 1_000_000_000L)
        {
            throw new IllegalArgumentException("blocking: ttl_s must be 1.." + TTL_S_MAX + ", not " +
                ttlNs / 1_000_000_000L);
        }
        if (maxBlocks < 1 || maxBlocks > SteeringDescriptor.BLOCKLIST_MAX_DEFAULT)
        {
            throw new IllegalArgumentException("blocking: max_blocks must be 1.." +
                SteeringDescriptor.BLOCKLIST_MAX_DEFAULT + " (the XDP blocklist's size), not " + maxBlocks);
        }
        if (track < TRACK_MIN || track > TRACK_MAX || Integer.bitCount(track) != 1)
        {
            throw new IllegalArgumentException("blocking: track must be a power of two " + TRACK_MIN + ".." +
                TRACK_MAX + ", not " + track);
        }
        if (allow.size() > SteeringDescriptor.ALLOWLIST_MAX)
        {
            throw new IllegalArgumentException("blocking: allow holds at most " + SteeringDescriptor.ALLOWLIST_MAX +
                " prefixes, not " + allow.size());
        }
        allow = List.copyOf(allow);
    }

    /**
     * @param prefix a prefix to block.
     * @return the allowlisted prefix that covers all of it, or null; a block that only overlaps an allowlisted
     * prefix is allowed, and the XDP program exempts the allowlisted part.
     */
    public Prefix allowlisted(final Prefix prefix)
    {
        for (final Prefix allowed : allow)
        {
            if (allowed.covers(prefix))
            {
                return allowed;
            }
        }

        return null;
    }
}
