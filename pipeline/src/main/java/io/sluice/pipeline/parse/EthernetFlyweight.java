package io.sluice.pipeline.parse;

import io.sluice.xsk.frame.EtherTypes;
import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;
import static io.sluice.pipeline.parse.NetworkOrder.U32;

/**
 * An Ethernet II header over a {@link MemorySegment}, read and written in place. The caller checks that
 * {@link #HEADER_LENGTH} bytes are there before calling a getter; the flyweight itself checks nothing.
 * <pre>
 *   0                   6                   12      14
 *   | destination MAC   | source MAC        | type  |
 * </pre>
 * A MAC address is handled as a {@code long} holding its 48 bits, first octet most significant:
 * {@code 02:00:00:00:00:01} is {@code 0x0200_0000_0001L}.
 */
public final class EthernetFlyweight
{
    public static final int DST_MAC_OFFSET = 0;
    public static final int SRC_MAC_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int MAC_LENGTH = 6;
    public static final int HEADER_LENGTH = 14;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a header.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the header's first byte in {@code segment}.
     * @return this, for chaining.
     */
    public EthernetFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /**
     * @return the segment last wrapped.
     */
    public MemorySegment segment()
    {
        return segment;
    }

    /**
     * @return the header's offset in the segment last wrapped.
     */
    public long offset()
    {
        return offset;
    }

    /**
     * @return destination MAC, 48 bits, first octet most significant.
     */
    public long dstMac()
    {
        return mac(offset + DST_MAC_OFFSET);
    }

    /**
     * @param mac destination MAC, 48 bits, first octet most significant.
     * @return this, for chaining.
     */
    public EthernetFlyweight dstMac(final long mac)
    {
        putMac(offset + DST_MAC_OFFSET, mac);
        return this;
    }

    /**
     * @return source MAC, 48 bits, first octet most significant.
     */
    public long srcMac()
    {
        return mac(offset + SRC_MAC_OFFSET);
    }

    /**
     * @param mac source MAC, 48 bits, first octet most significant.
     * @return this, for chaining.
     */
    public EthernetFlyweight srcMac(final long mac)
    {
        putMac(offset + SRC_MAC_OFFSET, mac);
        return this;
    }

    /**
     * @return the EtherType, or the TPID of the first VLAN tag when the frame is tagged.
     */
    public int etherType()
    {
        return segment.get(U16, offset + ETHER_TYPE_OFFSET) & 0xFFFF;
    }

    /**
     * Exchange source and destination MAC, to send a frame back where it came from. Ethernet carries no checksum
     * the host keeps (the FCS is recomputed by the NIC), so nothing else needs fixing.
     *
     * @return this, for chaining.
     */
    public EthernetFlyweight swapMacs()
    {
        final long dst = dstMac();
        final long src = srcMac();
        putMac(offset + DST_MAC_OFFSET, src);
        putMac(offset + SRC_MAC_OFFSET, dst);
        return this;
    }

    /**
     * @param etherType an EtherType field.
     * @return true if it is the TPID of a VLAN tag the parser walks: 802.1Q (0x8100) or 802.1ad (0x88a8), the two
     * the XDP program walks too.
     */
    public static boolean isVlanTag(final int etherType)
    {
        return etherType == EtherTypes.VLAN || etherType == EtherTypes.QINQ;
    }

    private long mac(final long at)
    {
        final long high = segment.get(U16, at) & 0xFFFFL;
        final long low = segment.get(U32, at + Short.BYTES) & 0xFFFF_FFFFL;
        return (high << 32) | low;
    }

    private void putMac(final long at, final long mac)
    {
        segment.set(U16, at, (short)(mac >>> 32));
        segment.set(U32, at + Short.BYTES, (int)mac);
    }
}
