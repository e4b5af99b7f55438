package io.sluice.pipeline;

import io.sluice.pipeline.parse.ParseError;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One agent's counters: the {@link PipelineCounter}s, then one per {@link ParseError} reason. Each set has a single
 * writer, the agent's thread, so an increment is a plain read and a release store (no locked instruction); other
 * threads read with acquire loads and see every increment made before the last one they see.
 * <p>
 * The values sit in the middle of a padded array so that two agents' sets never share a cache line.
 */
public final class Counters
{
    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    /**
     * Longs of padding on each side: a 64-byte line, plus one for the array header's neighbour.
     */
    private static final int PAD = 16;

    /**
     * Index of the first parse-error reason.
     */
    public static final int PARSE_ERROR_BASE = PipelineCounter.values().length;

    /**
     * Counters in a set.
     */
    public static final int COUNT = PARSE_ERROR_BASE + ParseError.values().length;

    private final long[] values = new long[PAD + COUNT + PAD];

    /**
     * Add to a counter. Only the owning thread may call this.
     *
     * @param id    {@link PipelineCounter#id()}, or {@link #PARSE_ERROR_BASE} plus a {@link ParseError} id.
     * @param delta amount to add.
     */
    public void add(final int id, final long delta)
    {
        final int index = PAD + id;
        // single writer: a plain read of our own last store, then a release store pairs with get's getAcquire
        VALUES.setRelease(values, index, (long)VALUES.get(values, index) + delta);
    }

    /**
     * Add one to a counter. Only the owning thread may call this.
     *
     * @param id counter index.
     */
    public void increment(final int id)
    {
        add(id, 1);
    }

    /**
     * @param id counter index.
     * @return its value, from any thread.
     */
    public long get(final int id)
    {
        // getAcquire pairs with add's setRelease
        return (long)VALUES.getAcquire(values, PAD + id);
    }

    /**
     * @param counter a named counter.
     * @return its value, from any thread.
     */
    public long get(final PipelineCounter counter)
    {
        return get(counter.id());
    }

    /**
     * @param error a parse-error reason.
     * @return frames dropped for it, from any thread.
     */
    public long get(final ParseError error)
    {
        return get(PARSE_ERROR_BASE + error.id());
    }
}
