package io.sluice.xsk.ring;

import java.lang.foreign.MemorySegment;

/**
 * The user-space producer side of a ring (fill, TX), as libxdp's {@code xsk_ring_prod}: {@link #reserve(int)} claims
 * slots against a cached view of the consumer, the caller writes them, {@link #submit(int)} publishes them.
 */
public abstract class ProducerRing extends XskRing
{
    private int cachedProducer;
    private int cachedConsumer;
    private int publishedProducer;
    private int reservedIndex;

    protected ProducerRing(
        final MemorySegment memory,
        final long producerOffset,
        final long consumerOffset,
        final long flagsOffset,
        final long descOffset,
        final int size,
        final int entryBytes)
    {
        super(memory, producerOffset, consumerOffset, flagsOffset, descOffset, size, entryBytes);
        publishedProducer = (int)U32.getAcquire(memory, producerOffset);
        cachedProducer = publishedProducer;
        cachedConsumer = (int)U32.getAcquire(memory, consumerOffset) + size;
    }

    /**
     * Free slots, refreshing the cached consumer index from the shared word only when the cache shows fewer than
     * {@code wanted}: libxdp's {@code xsk_prod_nb_free}.
     *
     * @param wanted slots the caller would like.
     * @return free slots, possibly more than wanted.
     */
    public final int free(final int wanted)
    {
        final int free = cachedConsumer - cachedProducer;
        if (Integer.compareUnsigned(free, wanted) >= 0)
        {
            return free;
        }

        // getAcquire pairs with the kernel's smp_store_release of the consumer word: the slots it has released
        // are no longer read by it, so they may be overwritten
        cachedConsumer = (int)U32.getAcquire(memory, consumerOffset) + size;

        return cachedConsumer - cachedProducer;
    }

    /**
     * Reserve exactly {@code count} slots, or none: libxdp's {@code xsk_ring_prod__reserve}.
     *
     * @param count slots wanted.
     * @return {@code count}, or 0 if the ring has fewer free; the first slot's index is {@link #reservedIndex()}.
     */
    public final int reserve(final int count)
    {
        if (free(count) < count)
        {
            return 0;
        }
        reservedIndex = cachedProducer;
        cachedProducer += count;

        return count;
    }

    /**
     * Reserve as many slots as are free, up to {@code max}.
     *
     * @param max most slots wanted.
     * @return slots reserved, 0 to {@code max}; the first slot's index is {@link #reservedIndex()}.
     */
    public final int reserveUpTo(final int max)
    {
        final int count = Math.min(max, free(max));
        reservedIndex = cachedProducer;
        cachedProducer += count;

        return count;
    }

    /**
     * @return index of the first slot of the last reservation; slot {@code reservedIndex() + i} is the i-th.
     */
    public final int reservedIndex()
    {
        return reservedIndex;
    }

    /**
     * Give back the last {@code count} reserved slots, unwritten and unpublished.
     *
     * @param count slots to give back, at most those reserved and not submitted.
     */
    public final void cancel(final int count)
    {
        cachedProducer -= count;
    }

    /**
     * Publish {@code count} reserved and written slots to the kernel: libxdp's {@code xsk_ring_prod__submit}.
     *
     * @param count slots to publish, in reservation order.
     */
    public final void submit(final int count)
    {
        publishedProducer += count;
        // setRelease pairs with the kernel's smp_load_acquire of the producer word: the slots written before
        // this store are visible to it once it sees the new index
        U32.setRelease(memory, producerOffset, publishedProducer);
    }

    /**
     * @return slots reserved but not yet submitted.
     */
    public final int pending()
    {
        return cachedProducer - publishedProducer;
    }
}
