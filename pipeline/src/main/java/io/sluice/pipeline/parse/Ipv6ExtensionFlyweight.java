package io.sluice.pipeline.parse;

import io.sluice.xsk.frame.IpProtocols;
import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U32;
import static io.sluice.pipeline.parse.NetworkOrder.U8;

/**
 * One IPv6 extension header over a {@link MemorySegment}. Every extension header starts with the next header type
 * and (except the Fragment header) a length byte, and is at least {@link #MIN_HEADER_LENGTH} bytes long; the
 * caller checks those 8 bytes are there before calling a getter, and {@link #headerLengthBytes(int)} bytes before
 * stepping over it.
 * <pre>
 *   Hop-by-Hop, Routing, Destination Options, Mobility, HIP, Shim6: length = 8 * (len + 1)
 *   0       1       2
 *   | next  | len   | ...
 *   Authentication Header (RFC 4302): length = 4 * (len + 2)
 *   | next  | len   | reserved      | SPI ...
 *   Fragment: length = 8
 *   0       1       2                    4                 8
 *   | next  | rsvd  | offset (13) |res|M | identification  |
 * </pre>
 */
public final class Ipv6ExtensionFlyweight
{
    public static final int NEXT_HEADER_OFFSET = 0;
    public static final int LENGTH_OFFSET = 1;
    public static final int FRAGMENT_OFFSET_OFFSET = 2;
    public static final int FRAGMENT_IDENTIFICATION_OFFSET = 4;
    /**
     * The smallest extension header, and the unit of most of their lengths.
     */
    public static final int MIN_HEADER_LENGTH = 8;
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    /**
     * The offset bits of the Fragment header's offset word: the offset in 8 byte units, shifted left by 3, which is
     * the offset in bytes.
     */
    public static final int FRAGMENT_OFFSET_MASK = 0xFFF8;
    /**
     * The M (more fragments) bit of the Fragment header's offset word.
     */
    public static final int FRAGMENT_MORE = 0x0001;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte (the next header field) in {@code segment}.
     * @return this, for chaining.
     */
    public Ipv6ExtensionFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /**
     * @param protocol a next header value.
     * @return true if it names an extension header the parser steps over: Hop-by-Hop, Routing, Fragment, AH,
     * Destination Options, Mobility, HIP, Shim6. ESP (50) and No Next Header (59) end the chain instead.
     */
    public static boolean isExtensionHeader(final int protocol)
    {
        return switch (protocol)
        {
            case IpProtocols.HOP_BY_HOP,
                IpProtocols.ROUTING,
                IpProtocols.FRAGMENT,
                IpProtocols.AH,
                IpProtocols.DESTINATION_OPTIONS,
                IpProtocols.MOBILITY,
                IpProtocols.HIP,
                IpProtocols.SHIM6 -> true;
            default -> false;
        };
    }

    /**
     * @return the type of the header after this one, see {@link IpProtocols}.
     */
    public int nextHeader()
    {
        return segment.get(U8, offset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    /**
     * @return the raw length byte, in the unit of the header's type (reserved, zero, in a Fragment header).
     */
    public int lengthField()
    {
        return segment.get(U8, offset + LENGTH_OFFSET) & 0xFF;
    }

    /**
     * @param headerType the type of this header, the next header value of the header before it.
     * @return this header's length in bytes: 8 for Fragment, {@code 4 * (len + 2)} for AH and
     * {@code 8 * (len + 1)} for the rest; at least {@link #MIN_HEADER_LENGTH} and at most 2048.
     */
    public int headerLengthBytes(final int headerType)
    {
        if (headerType == IpProtocols.FRAGMENT)
        {
            return FRAGMENT_HEADER_LENGTH;
        }
        if (headerType == IpProtocols.AH)
        {
            return (lengthField() + 2) << 2;
        }
        return (lengthField() + 1) << 3;
    }

    /**
     * Fragment header only.
     *
     * @return where this fragment's data goes in the original packet, in bytes; 0 for the first fragment.
     */
    public int fragmentOffsetBytes()
    {
        return segment.get(U16, offset + FRAGMENT_OFFSET_OFFSET) & FRAGMENT_OFFSET_MASK;
    }

    /**
     * Fragment header only.
     *
     * @return the M flag: more fragments follow this one.
     */
    public boolean moreFragments()
    {
        return 0 != (segment.get(U16, offset + FRAGMENT_OFFSET_OFFSET) & FRAGMENT_MORE);
    }

    /**
     * Fragment header only.
     *
     * @return identification, shared by the fragments of one packet.
     */
    public int fragmentIdentification()
    {
        return segment.get(U32, offset + FRAGMENT_IDENTIFICATION_OFFSET);
    }
}
