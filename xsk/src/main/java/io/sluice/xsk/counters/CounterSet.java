package io.sluice.xsk.counters;

import org.agrona.concurrent.AtomicBuffer;

/**
 * A fixed group of counters with one writer thread, in a counters file: what an agent or a socket adds to on the
 * data path. An add is a plain load of the writer's own last value and a release store, with no locked instruction;
 * a reader in any thread or process loads with acquire and sees every add before the last one it sees. Each value
 * sits in its own 128-byte slot (Agrona's {@code COUNTER_LENGTH}), so two writers never share a cache line.
 */
public final class CounterSet
{
    private final AtomicBuffer values;
    private final int[] offsets;

    CounterSet(final AtomicBuffer values, final int[] offsets)
    {
        this.values = values;
        this.offsets = offsets;
    }

    /**
     * Add to a counter. Only the owning thread may call this.
     *
     * @param index which counter of the set.
     * @param delta amount to add.
     */
    public void add(final int index, final long delta)
    {
        final int offset = offsets[index];
        // single writer: a plain load of our own last store; putLongRelease pairs with get's getLongAcquire
        values.putLongRelease(offset, values.getLong(offset) + delta);
    }

    /**
     * Add one to a counter. Only the owning thread may call this.
     *
     * @param index which counter of the set.
     */
    public void increment(final int index)
    {
        add(index, 1);
    }

    /**
     * Set a counter to a value read elsewhere (a kernel statistic, a rate). Only the owning thread may call this.
     *
     * @param index which counter of the set.
     * @param value the value.
     */
    public void set(final int index, final long value)
    {
        // pairs with get's getLongAcquire
        values.putLongRelease(offsets[index], value);
    }

    /**
     * @param index which counter of the set.
     * @return its value, from any thread.
     */
    public long get(final int index)
    {
        // getLongAcquire pairs with add's and set's putLongRelease
        return values.getLongAcquire(offsets[index]);
    }

    /**
     * One set over counters allocated apart, so that each can be kept or freed on its own (a rule's, carried over
     * a reload by name) while the writer indexes them as one. The parts stay the handles to free.
     *
     * @param parts sets of one file.
     * @return a set whose counters are the parts' in order.
     * @throws IllegalArgumentException if the parts come from different files.
     */
    public static CounterSet join(final CounterSet... parts)
    {
        int size = 0;
        for (final CounterSet part : parts)
        {
            if (part.values != parts[0].values)
            {
                throw new IllegalArgumentException("counter sets of different files");
            }
            size += part.offsets.length;
        }
        final int[] offsets = new int[size];
        int i = 0;
        for (final CounterSet part : parts)
        {
            for (final int offset : part.offsets)
            {
                offsets[i++] = offset;
            }
        }

        return new CounterSet(0 == parts.length ? null : parts[0].values, offsets);
    }

    int offset(final int index)
    {
        return offsets[index];
    }

    /**
     * @return counters in the set.
     */
    public int size()
    {
        return offsets.length;
    }
}
