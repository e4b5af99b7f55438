package io.sluice.xsk.ring;

import java.lang.foreign.MemorySegment;

/**
 * The user-space consumer side of a ring (RX, completion), as libxdp's {@code xsk_ring_cons}: {@link #peek(int)}
 * takes entries the kernel has published, the caller reads them, {@link #release(int)} hands the slots back.
 */
public abstract class ConsumerRing extends XskRing
{
    private int cachedProducer;
    private int cachedConsumer;
    private int publishedConsumer;
    private int peekedIndex;

    protected ConsumerRing(
        final MemorySegment memory,
        final long producerOffset,
        final long consumerOffset,
        final long flagsOffset,
        final long descOffset,
        final int size,
        final int entryBytes)
    {
        super(memory, producerOffset, consumerOffset, flagsOffset, descOffset, size, entryBytes);
        publishedConsumer = (int)U32.getAcquire(memory, consumerOffset);
        cachedConsumer = publishedConsumer;
        cachedProducer = (int)U32.getAcquire(memory, producerOffset);
    }

    /**
     * Entries ready to read, up to {@code max}, refreshing the cached producer index from the shared word only
     * when the cache is empty: libxdp's {@code xsk_cons_nb_avail}.
     *
     * @param max most entries wanted.
     * @return entries available, 0 to {@code max}.
     */
    public final int available(final int max)
    {
        int entries = cachedProducer - cachedConsumer;
        if (0 == entries)
        {
            // getAcquire pairs with the kernel's smp_store_release of the producer word: the entries it
            // published before that store are visible here
            cachedProducer = (int)U32.getAcquire(memory, producerOffset);
            entries = cachedProducer - cachedConsumer;
        }

        return Integer.compareUnsigned(entries, max) > 0 ? max : entries;
    }

    /**
     * Take up to {@code max} entries: libxdp's {@code xsk_ring_cons__peek}.
     *
     * @param max most entries wanted.
     * @return entries taken; the first one's index is {@link #peekedIndex()}.
     */
    public final int peek(final int max)
    {
        final int entries = available(max);
        if (entries > 0)
        {
            peekedIndex = cachedConsumer;
            cachedConsumer += entries;
        }

        return entries;
    }

    /**
     * @return index of the first entry of the last peek; entry {@code peekedIndex() + i} is the i-th.
     */
    public final int peekedIndex()
    {
        return peekedIndex;
    }

    /**
     * Un-take the last {@code count} peeked entries, so the next peek returns them again:
     * {@code xsk_ring_cons__cancel}.
     *
     * @param count entries, at most those peeked and not released.
     */
    public final void cancel(final int count)
    {
        cachedConsumer -= count;
    }

    /**
     * Hand {@code count} read entries' slots back to the kernel: {@code xsk_ring_cons__release}.
     *
     * @param count entries, in peek order.
     */
    public final void release(final int count)
    {
        publishedConsumer += count;
        // setRelease pairs with the kernel's smp_load_acquire of the consumer word: the entries were read before
        // this store, so the kernel may overwrite their slots once it sees it
        U32.setRelease(memory, consumerOffset, publishedConsumer);
    }

    /**
     * @return entries published by the kernel and not yet peeked, from the shared producer word.
     */
    public final int unread()
    {
        return (int)U32.getAcquire(memory, producerOffset) - cachedConsumer;
    }

    /**
     * @return entries peeked and not yet released.
     */
    public final int unreleased()
    {
        return cachedConsumer - publishedConsumer;
    }

    /**
     * @return the kernel's producer index (free-running, it wraps as an unsigned 32-bit count): every entry below
     * it has been written. Any thread may read it.
     */
    public final int producerIndex()
    {
        return (int)U32.getAcquire(memory, producerOffset);
    }

    /**
     * @return the index of the next entry to peek: every entry below it has been taken. For the consumer's thread.
     */
    public final int consumerIndex()
    {
        return cachedConsumer;
    }
}
