package io.sluice.xsk.frame;

/**
 * IANA protocol numbers: the IPv4 protocol field and the IPv6 next header field share them. The one place they are
 * spelled, for the XDP steering tables, the parser, the generator and the test frame builders.
 */
public final class IpProtocols
{
    /**
     * IPv6 Hop-by-Hop Options (RFC 8200); in IPv4 it is an unknown protocol.
     */
    public static final int HOP_BY_HOP = 0;
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
    /**
     * IPv6 Routing header.
     */
    public static final int ROUTING = 43;
    /**
     * IPv6 Fragment header.
     */
    public static final int FRAGMENT = 44;
    /**
     * Encapsulating Security Payload: what follows is encrypted, so a walk stops here.
     */
    public static final int ESP = 50;
    /**
     * Authentication Header; its length is counted in 4 byte words (RFC 4302), unlike the other extension headers.
     */
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    /**
     * IPv6 No Next Header: nothing follows the header that names it.
     */
    public static final int NO_NEXT_HEADER = 59;
    /**
     * IPv6 Destination Options.
     */
    public static final int DESTINATION_OPTIONS = 60;
    /**
     * Mobility header (RFC 6275), an IPv6 extension header.
     */
    public static final int MOBILITY = 135;
    /**
     * Host Identity Protocol (RFC 7401), an IPv6 extension header.
     */
    public static final int HIP = 139;
    /**
     * Shim6 (RFC 5533), an IPv6 extension header.
     */
    public static final int SHIM6 = 140;
    /**
     * RFC 3692 experimental protocol, what test frames carry in IPv4 when no L4 was chosen.
     */
    public static final int EXPERIMENTAL = 253;

    private IpProtocols()
    {
    }
}
