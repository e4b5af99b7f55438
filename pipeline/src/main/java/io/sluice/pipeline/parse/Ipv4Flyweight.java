package io.sluice.pipeline.parse;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U32;
import static io.sluice.pipeline.parse.NetworkOrder.U8;

/**
 * An IPv4 header (RFC 791) over a {@link MemorySegment}, read and written in place. The caller checks that
 * {@link #MIN_HEADER_LENGTH} bytes are there before calling a getter, and {@link #headerLengthBytes()} bytes before
 * touching options; the flyweight itself checks nothing.
 * <pre>
 *   0       1       2               4               6               8       9       10              12
 *   |ver|ihl| tos   | total length  | identification|flags|frag off | ttl   | proto | checksum      |
 *   12                              16                              20
 *   | source address                | destination address           | options (ihl - 5 words)
 * </pre>
 * Addresses are {@code int}s holding the 32 bits in network order, first octet most significant:
 * {@code 10.0.0.1} is {@code 0x0A00_0001}.
 */
public final class Ipv4Flyweight
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SRC_ADDRESS_OFFSET = 12;
    public static final int DST_ADDRESS_OFFSET = 16;
    /**
     * The fixed header, IHL 5.
     */
    public static final int MIN_HEADER_LENGTH = 20;
    /**
     * IHL 15: the fixed header and 40 bytes of options.
     */
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int VERSION = 4;

    /**
     * Don't Fragment, in {@link #flagsAndFragmentOffset()}.
     */
    public static final int FLAG_DF = 0x4000;
    /**
     * More Fragments, in {@link #flagsAndFragmentOffset()}.
     */
    public static final int FLAG_MF = 0x2000;
    /**
     * The fragment offset, in 8 byte units, in {@link #flagsAndFragmentOffset()}.
     */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte (the version and IHL) in {@code segment}.
     * @return this, for chaining.
     */
    public Ipv4Flyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /**
     * @return the version nibble, 4 for a real IPv4 header.
     */
    public int version()
    {
        return (segment.get(U8, offset + VERSION_IHL_OFFSET) & 0xF0) >>> 4;
    }

    /**
     * @return the Internet Header Length in 4 byte words, 5..15 when valid.
     */
    public int ihl()
    {
        return segment.get(U8, offset + VERSION_IHL_OFFSET) & 0x0F;
    }

    /**
     * @return the header length in bytes, {@code 4 * ihl}.
     */
    public int headerLengthBytes()
    {
        return ihl() << 2;
    }

    /**
     * @return type of service (DSCP and ECN).
     */
    public int tos()
    {
        return segment.get(U8, offset + TOS_OFFSET) & 0xFF;
    }

    /**
     * @return total length in bytes, header and data, of the datagram (or of this fragment).
     */
    public int totalLengthBytes()
    {
        return segment.get(U16, offset + TOTAL_LENGTH_OFFSET) & 0xFFFF;
    }

    /**
     * @return identification, shared by the fragments of one datagram.
     */
    public int identification()
    {
        return segment.get(U16, offset + IDENTIFICATION_OFFSET) & 0xFFFF;
    }

    /**
     * @return the 16 bit word holding the flags ({@link #FLAG_DF}, {@link #FLAG_MF}) and the fragment offset
     * ({@link #FRAGMENT_OFFSET_MASK}, in 8 byte units).
     */
    public int flagsAndFragmentOffset()
    {
        return segment.get(U16, offset + FLAGS_FRAGMENT_OFFSET_OFFSET) & 0xFFFF;
    }

    /**
     * @return true if Don't Fragment is set.
     */
    public boolean dontFragment()
    {
        return 0 != (flagsAndFragmentOffset() & FLAG_DF);
    }

    /**
     * @return true if More Fragments is set: a fragment other than the last.
     */
    public boolean moreFragments()
    {
        return 0 != (flagsAndFragmentOffset() & FLAG_MF);
    }

    /**
     * @return where this fragment's data goes in the datagram, in bytes; 0 for the first fragment or an
     * unfragmented datagram.
     */
    public int fragmentOffsetBytes()
    {
        return (flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK) << 3;
    }

    /**
     * @return time to live.
     */
    public int ttl()
    {
        return segment.get(U8, offset + TTL_OFFSET) & 0xFF;
    }

    /**
     * @return the protocol of the data, see {@link IpProtocols}.
     */
    public int protocol()
    {
        return segment.get(U8, offset + PROTOCOL_OFFSET) & 0xFF;
    }

    /**
     * @return the header checksum as carried.
     */
    public int checksum()
    {
        return segment.get(U16, offset + CHECKSUM_OFFSET) & 0xFFFF;
    }

    /**
     * @param checksum the header checksum to store, e.g. from {@link Checksums#ipv4HeaderChecksum}.
     * @return this, for chaining.
     */
    public Ipv4Flyweight checksum(final int checksum)
    {
        segment.set(U16, offset + CHECKSUM_OFFSET, (short)checksum);
        return this;
    }

    /**
     * @return source address, first octet most significant.
     */
    public int srcAddress()
    {
        return segment.get(U32, offset + SRC_ADDRESS_OFFSET);
    }

    /**
     * @return destination address, first octet most significant.
     */
    public int dstAddress()
    {
        return segment.get(U32, offset + DST_ADDRESS_OFFSET);
    }

    /**
     * Exchange source and destination address, to send a datagram back where it came from.
     * <p>
     * The header checksum stays valid, and so do TCP and UDP checksums: they are ones'-complement sums of 16 bit
     * words, which do not depend on the words' order, and both addresses are summed whole (in the header and in the
     * TCP/UDP pseudo-header). No checksum needs recomputing.
     *
     * @return this, for chaining.
     */
    public Ipv4Flyweight swapAddresses()
    {
        final int src = srcAddress();
        final int dst = dstAddress();
        segment.set(U32, offset + SRC_ADDRESS_OFFSET, dst);
        segment.set(U32, offset + DST_ADDRESS_OFFSET, src);
        return this;
    }
}
