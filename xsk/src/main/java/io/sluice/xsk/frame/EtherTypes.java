package io.sluice.xsk.frame;

/**
 * IEEE EtherType values, as they appear in an Ethernet header's type field or a VLAN tag's inner type. The one place
 * they are spelled, for the parser, the rules, the generator and the test frame builders.
 */
public final class EtherTypes
{
    public static final int IPV4 = 0x0800;
    public static final int ARP = 0x0806;
    /**
     * IEEE 802.1Q customer tag (C-tag).
     */
    public static final int VLAN = 0x8100;
    public static final int IPV6 = 0x86DD;
    /**
     * IEEE 802.1ad service tag (S-tag), the outer tag of QinQ.
     */
    public static final int QINQ = 0x88A8;
    public static final int LLDP = 0x88CC;
    /**
     * The pre-standard QinQ outer tag some switches still send.
     */
    public static final int VLAN_9100 = 0x9100;

    private EtherTypes()
    {
    }
}
