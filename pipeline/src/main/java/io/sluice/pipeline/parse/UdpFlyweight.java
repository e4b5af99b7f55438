package io.sluice.pipeline.parse;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;

/**
 * A UDP header (RFC 768) over a {@link MemorySegment}, read and written in place. The caller checks that
 * {@link #HEADER_LENGTH} bytes are there before calling a getter; the flyweight itself checks nothing.
 * <pre>
 *   0               2               4               6               8
 *   | source port   | dest port     | length        | checksum      |
 * </pre>
 */
public final class UdpFlyweight
{
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte in {@code segment}.
     * @return this, for chaining.
     */
    public UdpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int srcPort()
    {
        return segment.get(U16, offset + SRC_PORT_OFFSET) & 0xFFFF;
    }

    public int dstPort()
    {
        return segment.get(U16, offset + DST_PORT_OFFSET) & 0xFFFF;
    }

    /**
     * @return length in bytes of header and data, at least {@link #HEADER_LENGTH} when valid.
     */
    public int lengthBytes()
    {
        return segment.get(U16, offset + LENGTH_OFFSET) & 0xFFFF;
    }

    /**
     * @return the checksum as carried; over IPv4, 0 means none was computed.
     */
    public int checksum()
    {
        return segment.get(U16, offset + CHECKSUM_OFFSET) & 0xFFFF;
    }

    /**
     * @param checksum the checksum to store, e.g. from {@link Checksums#l4Checksum}.
     * @return this, for chaining.
     */
    public UdpFlyweight checksum(final int checksum)
    {
        segment.set(U16, offset + CHECKSUM_OFFSET, (short)checksum);
        return this;
    }

    /**
     * Exchange source and destination port. The checksum stays valid: it is a ones'-complement sum of 16 bit words,
     * which does not depend on the words' order.
     *
     * @return this, for chaining.
     */
    public UdpFlyweight swapPorts()
    {
        final short src = segment.get(U16, offset + SRC_PORT_OFFSET);
        final short dst = segment.get(U16, offset + DST_PORT_OFFSET);
        segment.set(U16, offset + SRC_PORT_OFFSET, dst);
        segment.set(U16, offset + DST_PORT_OFFSET, src);
        return this;
    }
}
