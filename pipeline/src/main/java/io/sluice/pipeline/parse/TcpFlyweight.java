package io.sluice.pipeline.parse;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U32;
import static io.sluice.pipeline.parse.NetworkOrder.U8;

/**
 * A TCP header (RFC 9293) over a {@link MemorySegment}, read and written in place. The caller checks that
 * {@link #MIN_HEADER_LENGTH} bytes are there before calling a getter, and {@link #headerLengthBytes()} bytes before
 * touching options; the flyweight itself checks nothing.
 * <pre>
 *   0               2               4                               8                               12
 *   | source port   | dest port     | sequence number               | acknowledgment number         |
 *   12      13      14              16              18              20
 *   |doff|  | flags | window        | checksum      | urgent ptr    | options (doff - 5 words)
 * </pre>
 */
public final class TcpFlyweight
{
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    /**
     * The fixed header, data offset 5.
     */
    public static final int MIN_HEADER_LENGTH = 20;
    /**
     * Data offset 15: the fixed header and 40 bytes of options.
     */
    public static final int MAX_HEADER_LENGTH = 60;

    public static final int FLAG_FIN = 0x01;
    public static final int FLAG_SYN = 0x02;
    public static final int FLAG_RST = 0x04;
    public static final int FLAG_PSH = 0x08;
    public static final int FLAG_ACK = 0x10;
    public static final int FLAG_URG = 0x20;
    public static final int FLAG_ECE = 0x40;
    public static final int FLAG_CWR = 0x80;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte in {@code segment}.
     * @return this, for chaining.
     */
    public TcpFlyweight wrap(final MemorySegment segment, final long offset)
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
     * @return sequence number, unsigned 32 bits in an {@code int}.
     */
    public int sequenceNumber()
    {
        return segment.get(U32, offset + SEQUENCE_OFFSET);
    }

    /**
     * @return acknowledgment number, unsigned 32 bits in an {@code int}.
     */
    public int acknowledgmentNumber()
    {
        return segment.get(U32, offset + ACKNOWLEDGMENT_OFFSET);
    }

    /**
     * @return data offset: header length in 4 byte words, 5..15 when valid.
     */
    public int dataOffset()
    {
        return (segment.get(U8, offset + DATA_OFFSET_OFFSET) & 0xF0) >>> 4;
    }

    /**
     * @return header length in bytes, {@code 4 * dataOffset}.
     */
    public int headerLengthBytes()
    {
        return dataOffset() << 2;
    }

    /**
     * @return the flags byte, {@link #FLAG_FIN} .. {@link #FLAG_CWR}.
     */
    public int flags()
    {
        return segment.get(U8, offset + FLAGS_OFFSET) & 0xFF;
    }

    public int window()
    {
        return segment.get(U16, offset + WINDOW_OFFSET) & 0xFFFF;
    }

    public int checksum()
    {
        return segment.get(U16, offset + CHECKSUM_OFFSET) & 0xFFFF;
    }

    /**
     * @param checksum the checksum to store, e.g. from {@link Checksums#l4Checksum}.
     * @return this, for chaining.
     */
    public TcpFlyweight checksum(final int checksum)
    {
        segment.set(U16, offset + CHECKSUM_OFFSET, (short)checksum);
        return this;
    }

    public int urgentPointer()
    {
        return segment.get(U16, offset + URGENT_POINTER_OFFSET) & 0xFFFF;
    }

    /**
     * Exchange source and destination port. The checksum stays valid: it is a ones'-complement sum of 16 bit words,
     * which does not depend on the words' order.
     *
     * @return this, for chaining.
     */
    public TcpFlyweight swapPorts()
    {
        final short src = segment.get(U16, offset + SRC_PORT_OFFSET);
        final short dst = segment.get(U16, offset + DST_PORT_OFFSET);
        segment.set(U16, offset + SRC_PORT_OFFSET, dst);
        segment.set(U16, offset + DST_PORT_OFFSET, src);
        return this;
    }
}
