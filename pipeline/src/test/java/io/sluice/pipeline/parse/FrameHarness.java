package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A UMEM-like native segment to parse test frames in, placed so that reading outside the frame is caught:
 * <ul>
 * <li>at the very end of the segment, where reading past the frame throws {@link IndexOutOfBoundsException};</li>
 * <li>at a page in the middle, surrounded by filler bytes, twice with different filler: the two parses must agree
 * field for field, so no result depends on bytes before or after the frame.</li>
 * </ul>
 */
final class FrameHarness implements AutoCloseable
{
    static final int PAGE_BYTES = 4096;
    static final int SEGMENT_BYTES = 8 * PAGE_BYTES;
    static final long MIDDLE_ADDRESS = 3L * PAGE_BYTES;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment umem = arena.allocate(SEGMENT_BYTES, PAGE_BYTES);
    private final PacketParser parser = new PacketParser();
    private final FrameEvent atEnd = new FrameEvent();
    private final FrameEvent inMiddle = new FrameEvent();

    MemorySegment umem()
    {
        return umem;
    }

    PacketParser parser()
    {
        return parser;
    }

    /**
     * Copy a frame into the segment.
     *
     * @return the frame's address.
     */
    long place(final byte[] frame, final int length, final long address)
    {
        MemorySegment.copy(frame, 0, umem, ValueLayout.JAVA_BYTE, address, length);
        return address;
    }

    /**
     * Parse the first {@code length} bytes of a frame placed at the end of the segment and in the middle with two
     * fillers, check all three agree and the returned id is the stored one.
     *
     * @return the event of the parse at the end, valid until the next call.
     */
    FrameEvent parse(final byte[] frame, final int length)
    {
        final long endAddress = SEGMENT_BYTES - length;
        place(frame, length, endAddress);
        final int id = parse(endAddress, length, atEnd);
        assertEquals(atEnd.parseError, id, "returned id is the stored one");
        final long[] expected = snapshot(atEnd);

        for (final byte filler : new byte[]{ 0, (byte)0xFF, (byte)0x45 })
        {
            umem.asSlice(MIDDLE_ADDRESS - PAGE_BYTES, 3 * PAGE_BYTES).fill(filler);
            place(frame, length, MIDDLE_ADDRESS);
            parse(MIDDLE_ADDRESS, length, inMiddle);
            assertArrayEquals(expected, snapshot(inMiddle), () -> "result depends on bytes outside the frame, " +
                "filler " + filler + ", length " + length);
        }
        return atEnd;
    }

    ParseError parseError(final byte[] frame, final int length)
    {
        return ParseError.get(parse(frame, length).parseError);
    }

    ParseError parseError(final byte[] frame)
    {
        return parseError(frame, frame.length);
    }

    int parse(final long address, final int length, final FrameEvent event)
    {
        event.address = address;
        event.length = length;
        return parser.parse(umem, event);
    }

    /**
     * @return every field the parser writes, in one array to compare.
     */
    static long[] snapshot(final FrameEvent event)
    {
        return new long[]{
            event.parseError, event.vlanCount, event.outerVlanId, event.innerVlanId, event.etherType,
            event.l3Offset, event.ipVersion, event.ipEnd, event.ipProtocol, event.ttl, event.ipFlags,
            event.srcIpv4, event.dstIpv4, event.srcIpv6Hi, event.srcIpv6Lo, event.dstIpv6Hi, event.dstIpv6Lo,
            event.l4Offset, event.srcPort, event.dstPort, event.tcpFlags, event.icmpType, event.icmpCode,
            event.payloadOffset, event.rule, event.action, event.egressPort };
    }

    public void close()
    {
        arena.close();
    }
}
