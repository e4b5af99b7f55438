package io.sluice.pipeline.parse;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U8;

/**
 * An ICMP (RFC 792) or ICMPv6 (RFC 4443) header over a {@link MemorySegment}: the two share their first 8 bytes'
 * shape. The caller checks that {@link #HEADER_LENGTH} bytes are there before calling a getter; the flyweight itself
 * checks nothing.
 * <pre>
 *   0       1       2               4               6               8
 *   | type  | code  | checksum      | rest of header (echo: identifier, sequence)
 * </pre>
 * The ICMP checksum covers the message only; the ICMPv6 checksum covers an IPv6 pseudo-header too.
 */
public final class IcmpFlyweight
{
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;
    /**
     * Type, code, checksum and the 4 bytes every message type defines after them; the kernel pulls as many
     * ({@code sizeof(struct icmphdr)}, {@code sizeof(struct icmp6hdr)}) before looking at a message.
     */
    public static final int HEADER_LENGTH = 8;

    public static final int ICMP_ECHO_REPLY = 0;
    public static final int ICMP_DESTINATION_UNREACHABLE = 3;
    public static final int ICMP_ECHO_REQUEST = 8;
    public static final int ICMP_TIME_EXCEEDED = 11;
    public static final int ICMPV6_DESTINATION_UNREACHABLE = 1;
    public static final int ICMPV6_PACKET_TOO_BIG = 2;
    public static final int ICMPV6_ECHO_REQUEST = 128;
    public static final int ICMPV6_ECHO_REPLY = 129;
    public static final int ICMPV6_NEIGHBOR_SOLICITATION = 135;
    public static final int ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte in {@code segment}.
     * @return this, for chaining.
     */
    public IcmpFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int type()
    {
        return segment.get(U8, offset + TYPE_OFFSET) & 0xFF;
    }

    public int code()
    {
        return segment.get(U8, offset + CODE_OFFSET) & 0xFF;
    }

    public int checksum()
    {
        return segment.get(U16, offset + CHECKSUM_OFFSET) & 0xFFFF;
    }

    /**
     * @param checksum the checksum to store, e.g. from {@link Checksums#l4Checksum}.
     * @return this, for chaining.
     */
    public IcmpFlyweight checksum(final int checksum)
    {
        segment.set(U16, offset + CHECKSUM_OFFSET, (short)checksum);
        return this;
    }

    /**
     * Echo request and reply only.
     *
     * @return the identifier.
     */
    public int identifier()
    {
        return segment.get(U16, offset + IDENTIFIER_OFFSET) & 0xFFFF;
    }

    /**
     * Echo request and reply only.
     *
     * @return the sequence number.
     */
    public int sequenceNumber()
    {
        return segment.get(U16, offset + SEQUENCE_OFFSET) & 0xFFFF;
    }
}
