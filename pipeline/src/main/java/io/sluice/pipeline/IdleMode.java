package io.sluice.pipeline;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.Locale;

/**
 * What an agent's thread does when a duty cycle found no work.
 */
public enum IdleMode
{
    /**
     * Spin: lowest latency, burns the core. For dedicated, isolated cores.
     */
    SPIN,
    /**
     * Yield the core to other runnable threads, then try again.
     */
    YIELD,
    /**
     * Spin, then yield, then park with a growing period up to {@link #BACKOFF_MAX_PARK_NS}: for shared cores and
     * light load; the first frame after a quiet spell waits at most that long.
     */
    BACKOFF;

    /**
     * Spins before the backoff yields.
     */
    public static final long BACKOFF_MAX_SPINS = 100;

    /**
     * Yields before the backoff parks.
     */
    public static final long BACKOFF_MAX_YIELDS = 100;

    /**
     * First park of the backoff.
     */
    public static final long BACKOFF_MIN_PARK_NS = 1_000;

    /**
     * Longest park of the backoff: 100 µs keeps a woken pipeline's first-frame delay well below the RX ring's fill
     * time at line rate on veth (2,048 slots at ~6 Mpps is ~340 µs).
     */
    public static final long BACKOFF_MAX_PARK_NS = 100_000;

    /**
     * @return a new strategy of this kind (strategies hold state; one per thread).
     */
    public IdleStrategy newStrategy()
    {
        return switch (this)
        {
            case SPIN -> new BusySpinIdleStrategy();
            case YIELD -> new YieldingIdleStrategy();
            case BACKOFF ->
                new BackoffIdleStrategy(BACKOFF_MAX_SPINS, BACKOFF_MAX_YIELDS, BACKOFF_MIN_PARK_NS, BACKOFF_MAX_PARK_NS);
        };
    }

    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param label {@code spin}, {@code yield} or {@code backoff}.
     * @return the mode.
     * @throws IllegalArgumentException naming the allowed values.
     */
    public static IdleMode fromLabel(final String label)
    {
        for (final IdleMode mode : values())
        {
            if (mode.label().equals(label))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("idle strategy '" + label + "' is not one of spin, yield, backoff");
    }
}
