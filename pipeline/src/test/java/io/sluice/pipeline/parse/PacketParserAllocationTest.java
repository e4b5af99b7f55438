package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.FrameCrafter.Crafted;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The parser allocates nothing per frame once warm: the current thread's allocated bytes do not move across a
 * million parses of every catalogue frame and some cut short. The count is taken again a few times, because until
 * the JIT has compiled the loop the interpreter or an OSR transition may allocate.
 */
class PacketParserAllocationTest
{
    private static final int PARSES = 1_000_000;
    private static final int ATTEMPTS = 5;
    private static final int FRAME_STRIDE_BYTES = 2048;

    @Test
    void shouldNotAllocateWhenParsing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertEquals(true, threads.isThreadAllocatedMemorySupported(), "allocation counting supported");
        threads.setThreadAllocatedMemoryEnabled(true);

        final List<Named<Crafted>> catalogue = FrameCatalogue.frames();
        final int frames = 2 * catalogue.size();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment umem = arena.allocate((long)frames * FRAME_STRIDE_BYTES, 4096);
            final FrameEvent[] events = new FrameEvent[frames];
            for (int i = 0; i < catalogue.size(); i++)
            {
                final byte[] bytes = catalogue.get(i).getPayload().bytes();
                final long address = (long)i * FRAME_STRIDE_BYTES;
                MemorySegment.copy(bytes, 0, umem, ValueLayout.JAVA_BYTE, address, bytes.length);
                events[2 * i] = event(address, bytes.length);
                events[2 * i + 1] = event(address, bytes.length * 2 / 3);
            }
            final PacketParser parser = new PacketParser();

            long allocatedBytes = -1;
            long checksum = 0;
            for (int attempt = 0; attempt < ATTEMPTS && 0 != allocatedBytes; attempt++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                checksum += parseAll(parser, umem, events);
                allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
            }

            assertNotEquals(0, checksum);
            assertEquals(0, allocatedBytes, "bytes allocated by " + PARSES + " parses");
        }
    }

    private static long parseAll(final PacketParser parser, final MemorySegment umem, final FrameEvent[] events)
    {
        long checksum = 0;
        for (int i = 0; i < PARSES; i++)
        {
            final FrameEvent event = events[i % events.length];
            checksum += parser.parse(umem, event) + event.payloadOffset;
        }
        return checksum;
    }

    private static FrameEvent event(final long address, final int length)
    {
        final FrameEvent event = new FrameEvent();
        event.address = address;
        event.length = length;
        return event;
    }
}
