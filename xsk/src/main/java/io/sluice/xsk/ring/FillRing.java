package io.sluice.xsk.ring;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The fill ring: frame addresses user space hands the kernel to receive into. Each slot is a {@code __u64} UMEM address.
 */
public final class FillRing extends ProducerRing
{
    public static final int ENTRY_BYTES = 8;
    private static final int ENTRY_SHIFT = 3;

    public FillRing(
        final MemorySegment memory,
        final long producerOffset,
        final long consumerOffset,
        final long flagsOffset,
        final long descOffset,
        final int size)
    {
        super(memory, producerOffset, consumerOffset, flagsOffset, descOffset, size, ENTRY_BYTES);
    }

    /**
     * Write a reserved slot.
     *
     * @param index   slot index from {@link #reservedIndex()} onwards.
     * @param address UMEM address of a frame's start (the kernel masks it to the chunk in aligned mode).
     */
    public void address(final int index, final long address)
    {
        memory.set(JAVA_LONG, slot(index, ENTRY_SHIFT), address);
    }
}
