package io.sluice.xsk.ring;

import io.sluice.xsk.ffi.IfXdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * What the four rings share: the mmapped memory, where its producer, consumer and flags words and its slots are,
 * and the size. The shared words are only touched through {@link #U32} with acquire or release semantics; the
 * other side of every pairing is the kernel's {@code smp_load_acquire}/{@code smp_store_release} in
 * {@code net/xdp/xsk_queue.h}.
 * <p>
 * A ring has one user-space owner thread; the cached indices are plain fields.
 */
public abstract class XskRing
{
    /**
     * A 32-bit word of the ring memory; coordinates {@code (MemorySegment, long offset)}.
     */
    protected static final VarHandle U32 = ValueLayout.JAVA_INT.varHandle();

    protected final MemorySegment memory;
    protected final long producerOffset;
    protected final long consumerOffset;
    protected final long flagsOffset;
    protected final long descOffset;
    protected final int size;
    protected final int mask;

    /**
     * @param memory         the ring's mapping (or any segment laid out the same way, for tests).
     * @param producerOffset offset of the producer word.
     * @param consumerOffset offset of the consumer word.
     * @param flagsOffset    offset of the flags word.
     * @param descOffset     offset of slot 0.
     * @param size           number of slots, a power of two.
     * @param entryBytes     bytes per slot: 8 for fill and completion, 16 for RX and TX.
     */
    protected XskRing(
        final MemorySegment memory,
        final long producerOffset,
        final long consumerOffset,
        final long flagsOffset,
        final long descOffset,
        final int size,
        final int entryBytes)
    {
        if (size <= 0 || Integer.bitCount(size) != 1)
        {
            throw new IllegalArgumentException("ring size must be a power of two: " + size);
        }
        if (descOffset + (long)size * entryBytes > memory.byteSize())
        {
            throw new IllegalArgumentException("ring of " + size + " slots of " + entryBytes +
                " bytes from offset " + descOffset + " does not fit in " + memory.byteSize() + " bytes");
        }
        this.memory = memory;
        this.producerOffset = producerOffset;
        this.consumerOffset = consumerOffset;
        this.flagsOffset = flagsOffset;
        this.descOffset = descOffset;
        this.size = size;
        this.mask = size - 1;
    }

    /**
     * @return number of slots.
     */
    public final int size()
    {
        return size;
    }

    /**
     * Whether the kernel asks to be woken (fill ring: by {@code recvfrom}/{@code poll}; TX ring: by
     * {@code sendto}) before it will make progress. Set only on sockets bound with {@code XDP_USE_NEED_WAKEUP}.
     *
     * @return true if the ring's flags word has {@code XDP_RING_NEED_WAKEUP}.
     */
    public final boolean needsWakeup()
    {
        // getAcquire pairs with the kernel's WRITE_ONCE of the flag; a stale read costs at most one extra poll
        return 0 != ((int)U32.getAcquire(memory, flagsOffset) & IfXdp.XDP_RING_NEED_WAKEUP);
    }

    /**
     * @return the shared producer word as last published, read with acquire semantics.
     */
    public final int producerWord()
    {
        return (int)U32.getAcquire(memory, producerOffset);
    }

    /**
     * @return the shared consumer word as last published, read with acquire semantics.
     */
    public final int consumerWord()
    {
        return (int)U32.getAcquire(memory, consumerOffset);
    }

    /**
     * Entries the producer has published and the consumer has not yet released, from the shared words. The kernel
     * publishes its consumer index lazily (after it has emptied its cached batch), so for the fill ring this can
     * count entries the kernel has already taken.
     *
     * @return published producer minus published consumer.
     */
    public final int publishedEntries()
    {
        final int consumer = consumerWord();
        return producerWord() - consumer;
    }

    protected final long slot(final int index, final int entryShift)
    {
        return descOffset + ((long)(index & mask) << entryShift);
    }
}
