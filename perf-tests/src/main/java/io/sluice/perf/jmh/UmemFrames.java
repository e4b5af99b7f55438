package io.sluice.perf.jmh;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.umem.UmemConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Frames written into native memory laid out as an aligned-mode UMEM, with each one's descriptor in a
 * {@link FrameEvent} as the receiver leaves it: what the parser and filter benchmarks read.
 */
final class UmemFrames
{
    /**
     * Frames cycled through. 1024 frames of 4 KiB span 4 MiB and 1024 pages, more than the L1 data TLB covers, and
     * with every frame at the same offset in its page their headers compete for one L1 set; the lines actually read
     * (1-2 a frame) stay in L2. So, as on the receive path, a frame's headers are not in L1 when it is parsed. A
     * frame the NIC or another core has just written would be further away still (LLC or DRAM): for that case these
     * figures are a lower bound.
     */
    static final int FRAME_COUNT = 1024;

    /**
     * For {@code index & FRAME_MASK}; {@link #FRAME_COUNT} is a power of two.
     */
    static final int FRAME_MASK = FRAME_COUNT - 1;

    /**
     * Sluice's default UMEM frame size; a frame starts on a page boundary.
     */
    static final int FRAME_SIZE_BYTES = UmemConfig.FRAME_SIZE_DEFAULT;

    /**
     * The kernel's {@code XDP_PACKET_HEADROOM}: a received frame's first byte is this far into its UMEM chunk.
     */
    static final int KERNEL_HEADROOM_BYTES = 256;

    private UmemFrames()
    {
    }

    /**
     * @param arena      owning the memory; a shared arena, as {@code Umem} maps it.
     * @param frameCount frames it holds.
     * @return zeroed memory for {@code frameCount} frames, page aligned.
     */
    static MemorySegment allocate(final Arena arena, final int frameCount)
    {
        return arena.allocate((long)frameCount * FRAME_SIZE_BYTES, FRAME_SIZE_BYTES);
    }

    /**
     * Copy a frame into its chunk and point an event at it, as the receiver does from an RX descriptor.
     *
     * @param umem  from {@link #allocate(Arena, int)}.
     * @param index frame index, below the count it was allocated for.
     * @param bytes the frame.
     * @param event gets the frame's address and length.
     */
    static void write(final MemorySegment umem, final int index, final byte[] bytes, final FrameEvent event)
    {
        final long address = (long)index * FRAME_SIZE_BYTES + KERNEL_HEADROOM_BYTES;
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, umem, address, bytes.length);
        event.address = address;
        event.length = bytes.length;
    }
}
