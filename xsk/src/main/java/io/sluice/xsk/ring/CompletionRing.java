package io.sluice.xsk.ring;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The completion ring: addresses of frames the kernel has finished transmitting. Each slot is a {@code __u64} UMEM address.
 */
public final class CompletionRing extends ConsumerRing
{
    public static final int ENTRY_BYTES = 8;
    private static final int ENTRY_SHIFT = 3;

    public CompletionRing(
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
     * Read a peeked slot.
     *
     * @param index slot index from {@link #peekedIndex()} onwards.
     * @return the UMEM address the TX descriptor carried.
     */
    public long address(final int index)
    {
        return memory.get(JAVA_LONG, slot(index, ENTRY_SHIFT));
    }
}
