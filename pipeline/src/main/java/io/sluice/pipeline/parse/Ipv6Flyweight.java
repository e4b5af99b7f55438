package io.sluice.pipeline.parse;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U32;
import static io.sluice.pipeline.parse.NetworkOrder.U64;
import static io.sluice.pipeline.parse.NetworkOrder.U8;

/**
 * The fixed IPv6 header (RFC 8200) over a {@link MemorySegment}, read and written in place. The caller checks that
 * {@link #HEADER_LENGTH} bytes are there before calling a getter; the flyweight itself checks nothing.
 * <pre>
 *   0                               4               6       7       8                  24                 40
 *   |ver| traffic class| flow label | payload length| next  | hops  | source address   | destination      |
 * </pre>
 * A 128 bit address is handled as two {@code long}s, each 8 bytes in network order: {@code hi} is bytes 0..7,
 * {@code lo} bytes 8..15, so {@code 2001:db8::1} is {@code hi = 0x2001_0db8_0000_0000L, lo = 1L}.
 */
public final class Ipv6Flyweight
{
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SRC_ADDRESS_OFFSET = 8;
    public static final int DST_ADDRESS_OFFSET = 24;
    public static final int ADDRESS_LENGTH = 16;
    /**
     * The fixed header; extension headers are not counted here but in the payload length.
     */
    public static final int HEADER_LENGTH = 40;
    public static final int VERSION = 6;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte in {@code segment}.
     * @return this, for chaining.
     */
    public Ipv6Flyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /**
     * @return the version nibble, 6 for a real IPv6 header.
     */
    public int version()
    {
        return (segment.get(U8, offset + VERSION_CLASS_FLOW_OFFSET) & 0xF0) >>> 4;
    }

    /**
     * @return traffic class (DSCP and ECN).
     */
    public int trafficClass()
    {
        return (segment.get(U32, offset + VERSION_CLASS_FLOW_OFFSET) >>> 20) & 0xFF;
    }

    /**
     * @return flow label, 20 bits.
     */
    public int flowLabel()
    {
        return segment.get(U32, offset + VERSION_CLASS_FLOW_OFFSET) & 0xF_FFFF;
    }

    /**
     * @return bytes after the fixed header: extension headers and upper-layer data; 0 for a jumbogram.
     */
    public int payloadLengthBytes()
    {
        return segment.get(U16, offset + PAYLOAD_LENGTH_OFFSET) & 0xFFFF;
    }

    /**
     * @return the type of the header after this one, see {@link IpProtocols}.
     */
    public int nextHeader()
    {
        return segment.get(U8, offset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    /**
     * @return hop limit.
     */
    public int hopLimit()
    {
        return segment.get(U8, offset + HOP_LIMIT_OFFSET) & 0xFF;
    }

    /**
     * @return source address bytes 0..7.
     */
    public long srcAddressHi()
    {
        return segment.get(U64, offset + SRC_ADDRESS_OFFSET);
    }

    /**
     * @return source address bytes 8..15.
     */
    public long srcAddressLo()
    {
        return segment.get(U64, offset + SRC_ADDRESS_OFFSET + Long.BYTES);
    }

    /**
     * @return destination address bytes 0..7.
     */
    public long dstAddressHi()
    {
        return segment.get(U64, offset + DST_ADDRESS_OFFSET);
    }

    /**
     * @return destination address bytes 8..15.
     */
    public long dstAddressLo()
    {
        return segment.get(U64, offset + DST_ADDRESS_OFFSET + Long.BYTES);
    }

    /**
     * Exchange source and destination address, to send a packet back where it came from.
     * <p>
     * TCP, UDP and ICMPv6 checksums stay valid: they are ones'-complement sums of 16 bit words over a pseudo-header
     * that holds both addresses whole, and such a sum does not depend on the words' order. IPv6 has no header
     * checksum. (A Routing header, whose final destination the pseudo-header would use, is not rewritten.)
     *
     * @return this, for chaining.
     */
    public Ipv6Flyweight swapAddresses()
    {
        final long srcHi = srcAddressHi();
        final long srcLo = srcAddressLo();
        final long dstHi = dstAddressHi();
        final long dstLo = dstAddressLo();
        segment.set(U64, offset + SRC_ADDRESS_OFFSET, dstHi);
        segment.set(U64, offset + SRC_ADDRESS_OFFSET + Long.BYTES, dstLo);
        segment.set(U64, offset + DST_ADDRESS_OFFSET, srcHi);
        segment.set(U64, offset + DST_ADDRESS_OFFSET + Long.BYTES, srcLo);
        return this;
    }
}
