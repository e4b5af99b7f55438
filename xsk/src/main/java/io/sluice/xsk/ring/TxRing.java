package io.sluice.xsk.ring;

import io.sluice.xsk.ffi.IfXdp.XdpDesc;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The TX ring: descriptors ({@code struct xdp_desc}) of UMEM frames for the kernel to send.
 */
public final class TxRing extends ProducerRing
{
    public static final int ENTRY_BYTES = 16;
    private static final int ENTRY_SHIFT = 4;

    public TxRing(
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
     * @param address UMEM address of the frame's first byte.
     * @param length  frame length in bytes.
     */
    public void descriptor(final int index, final long address, final int length)
    {
        descriptor(index, address, length, 0);
    }

    /**
     * Write a reserved slot with options.
     *
     * @param index   slot index from {@link #reservedIndex()} onwards.
     * @param address UMEM address of the buffer's first byte.
     * @param length  buffer length in bytes.
     * @param options {@code XDP_PKT_CONTD} for every buffer of a multi-buffer packet but its last, else 0.
     */
    public void descriptor(final int index, final long address, final int length, final int options)
    {
        final long slot = slot(index, ENTRY_SHIFT);
        memory.set(JAVA_LONG, slot + XdpDesc.ADDR, address);
        memory.set(JAVA_INT, slot + XdpDesc.LEN, length);
        memory.set(JAVA_INT, slot + XdpDesc.OPTIONS, options);
    }
}
