package io.sluice.pipeline.parse;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.parse.NetworkOrder.U16;

/**
 * The 4 bytes that follow a VLAN TPID (0x8100 or 0x88a8): the tag control information and the EtherType of what
 * it encapsulates, the kernel's {@code struct vlan_hdr}. The TPID itself is the EtherType field of the header
 * before, so {@link #wrap} takes the offset just after it. The caller checks {@link #TAG_LENGTH} bytes are there.
 * <pre>
 *   0                 2            4
 *   | PCP DEI VID     | inner type |
 * </pre>
 */
public final class VlanFlyweight
{
    public static final int TCI_OFFSET = 0;
    public static final int INNER_ETHER_TYPE_OFFSET = 2;
    /**
     * Bytes a tag adds after the TPID; with the TPID the tag is also 4 bytes in the frame, as the EtherType field
     * moves down by 4.
     */
    public static final int TAG_LENGTH = 4;
    public static final int VLAN_ID_MASK = 0x0FFF;

    private MemorySegment segment;
    private long offset;

    /**
     * Point the flyweight at a tag.
     *
     * @param segment the memory holding the frame, usually the whole UMEM.
     * @param offset  of the TCI, just after the TPID.
     * @return this, for chaining.
     */
    public VlanFlyweight wrap(final MemorySegment segment, final long offset)
    {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /**
     * @return tag control information: priority (3 bits), drop eligible (1 bit), VLAN id (12 bits).
     */
    public int tci()
    {
        return segment.get(U16, offset + TCI_OFFSET) & 0xFFFF;
    }

    /**
     * @return the VLAN id, 0..4095.
     */
    public int vlanId()
    {
        return tci() & VLAN_ID_MASK;
    }

    /**
     * @return the priority code point, 0..7.
     */
    public int priority()
    {
        return tci() >>> 13;
    }

    /**
     * @return the drop eligible indicator.
     */
    public boolean dropEligible()
    {
        return 0 != (tci() & 0x1000);
    }

    /**
     * @return the EtherType of what the tag encapsulates, possibly another tag's TPID.
     */
    public int innerEtherType()
    {
        return segment.get(U16, offset + INNER_ETHER_TYPE_OFFSET) & 0xFFFF;
    }
}
