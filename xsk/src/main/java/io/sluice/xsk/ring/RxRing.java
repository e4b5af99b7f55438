package io.sluice.xsk.ring;

import io.sluice.xsk.ffi.IfXdp.XdpDesc;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The RX ring: descriptors ({@code struct xdp_desc}) of frames the kernel has received into UMEM.
 */
public final class RxRing extends ConsumerRing
{
    public static final int ENTRY_BYTES = 16;
    private static final int ENTRY_SHIFT = 4;

    public RxRing(
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
     * @param index slot index from {@link #peekedIndex()} onwards.
     * @return UMEM address of the frame's first byte (headroom already skipped).
     */
    public long address(final int index)
    {
        return memory.get(JAVA_LONG, slot(index, ENTRY_SHIFT) + XdpDesc.ADDR);
    }

    /**
     * @param index slot index from {@link #peekedIndex()} onwards.
     * @return frame length in bytes.
     */
    public int length(final int index)
    {
        return memory.get(JAVA_INT, slot(index, ENTRY_SHIFT) + XdpDesc.LEN);
    }

    /**
     * @param index slot index from {@link #peekedIndex()} onwards.
     * @return the descriptor's options ({@code XDP_PKT_CONTD} for a multi-buffer frame's non-final part).
     */
    public int options(final int index)
    {
        return memory.get(JAVA_INT, slot(index, ENTRY_SHIFT) + XdpDesc.OPTIONS);
    }
}
