package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.FrameEvent.IP_EXTENSION_HEADERS;
import static io.sluice.pipeline.FrameEvent.IP_FRAGMENT;
import static io.sluice.pipeline.FrameEvent.IP_LATER_FRAGMENT;
import static io.sluice.pipeline.FrameEvent.IP_OPTIONS;

/**
 * Walks a frame's headers in place in the UMEM and fills the parse fields of a {@link FrameEvent}: Ethernet, up to
 * {@link #MAX_VLAN_TAGS} VLAN tags, IPv4 or IPv6 (with up to {@link #MAX_EXTENSION_HEADERS} extension headers),
 * then TCP, UDP, ICMP or ICMPv6.
 * <p>
 * Guarantees, whatever the frame's bytes:
 * <ul>
 * <li>nothing is read outside {@code [event.address, event.address + event.length)}, the frame's first buffer:
 * every length is checked against what is left before the bytes are read, and a descriptor outside the segment is
 * itself an error. A multi-buffer packet's IP and UDP lengths are checked against the whole packet
 * ({@link FrameEvent#packetLength()}), its headers must lie in the first buffer
 * ({@link ParseError#HEADERS_SPLIT} otherwise), and a cut chain is {@link ParseError#CHAIN_CUT};</li>
 * <li>nothing is thrown: a malformed frame gets a {@link ParseError} in {@code event.parseError}, and parsing stops
 * at the first header found wanting;</li>
 * <li>nothing is allocated: the flyweights are this parser's own and are re-wrapped for every frame.</li>
 * </ul>
 * On an error, the fields of every header before the failing one are filled and the failing header's fields keep
 * the values {@link FrameEvent#clearParse()} gave them: after {@link ParseError#TRUNCATED_TCP}, for instance, the
 * IP fields are there and the ports are {@link FrameEvent#ABSENT}. ({@code ipProtocol} and {@code ipFlags} of IPv6
 * are only set once the extension header chain has been walked.)
 * <p>
 * The IP datagram bounds what follows it: the L4 header and IPv6 extension headers must lie before
 * {@code ipEnd = l3Offset + total length}, and bytes after it are Ethernet padding, not payload. A frame whose IP
 * length claims more bytes than the frame holds is an error at the IP layer, so a frame cut short inside its L4
 * header reports {@link ParseError#IPV4_BAD_TOTAL_LENGTH} or {@link ParseError#IPV6_BAD_PAYLOAD_LENGTH}, while
 * {@link ParseError#TRUNCATED_TCP} and the like mean the datagram itself is too short for its L4 header.
 * <p>
 * One instance per handler thread: it holds mutable flyweights and is not thread safe.
 */
public final class PacketParser
{
    /**
     * VLAN tags walked; a third tag is {@link ParseError#VLAN_TOO_DEEP}. Two covers QinQ, and matches the XDP
     * program, which steers on what follows at most two tags.
     */
    public static final int MAX_VLAN_TAGS = 2;

    /**
     * IPv6 extension headers walked before {@link ParseError#IPV6_EXTENSION_CHAIN_TOO_LONG}. A bound keeps the
     * cost of one frame fixed. 8 is more than RFC 8200's recommended order puts before an upper-layer header
     * (Hop-by-Hop, Destination Options, Routing, Fragment, AH, Destination Options: 6), so only crafted chains
     * reach it.
     */
    public static final int MAX_EXTENSION_HEADERS = 8;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final VlanFlyweight vlan = new VlanFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final Ipv6ExtensionFlyweight extension = new Ipv6ExtensionFlyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();

    /**
     * Parse the frame the event's descriptor names. Clears the event's parse fields first, so every field is this
     * frame's.
     *
     * @param umem  the segment {@code event.address} is an offset into, normally the whole UMEM.
     * @param event holding {@code address} and {@code length}; its parse fields are overwritten.
     * @return the {@link ParseError} id, also stored in {@code event.parseError}; 0 for a clean parse.
     */
    public int parse(final MemorySegment umem, final FrameEvent event)
    {
        event.clearParse();
        final long address = event.address;
        final int length = event.length;

        final ParseError error;
        if (address < 0 || length < 0 || address > umem.byteSize() - length)
        {
            error = ParseError.FRAME_OUTSIDE_UMEM;
        }
        else if (event.chainCut)
        {
            error = ParseError.CHAIN_CUT;
        }
        else
        {
            error = parseEthernet(umem, address, length, event.packetLength(), event);
        }

        final int id = error.id();
        event.parseError = id;
        return id;
    }

    private ParseError parseEthernet(
        final MemorySegment umem, final long address, final int length, final int packet, final FrameEvent event)
    {
        if (length < EthernetFlyweight.HEADER_LENGTH)
        {
            return ParseError.TRUNCATED_ETHERNET;
        }
        int etherType = ethernet.wrap(umem, address).etherType();
        int offset = EthernetFlyweight.HEADER_LENGTH;

        int vlanCount = 0;
        while (EthernetFlyweight.isVlanTag(etherType))
        {
            if (vlanCount == MAX_VLAN_TAGS)
            {
                return ParseError.VLAN_TOO_DEEP;
            }
            if (length - offset < VlanFlyweight.TAG_LENGTH)
            {
                return ParseError.TRUNCATED_VLAN;
            }
            vlan.wrap(umem, address + offset);
            if (0 == vlanCount)
            {
                event.outerVlanId = vlan.vlanId();
            }
            else
            {
                event.innerVlanId = vlan.vlanId();
            }
            event.vlanCount = ++vlanCount;
            etherType = vlan.innerEtherType();
            offset += VlanFlyweight.TAG_LENGTH;
        }

        event.etherType = etherType;
        event.l3Offset = offset;
        if (EtherTypes.IPV4 == etherType)
        {
            return parseIpv4(umem, address, length, packet, offset, event);
        }
        if (EtherTypes.IPV6 == etherType)
        {
            return parseIpv6(umem, address, length, packet, offset, event);
        }
        return ParseError.NONE;
    }

    private ParseError parseIpv4(
        final MemorySegment umem,
        final long address,
        final int length,
        final int packet,
        final int l3Offset,
        final FrameEvent event)
    {
        final int available = length - l3Offset;
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return ParseError.TRUNCATED_IPV4;
        }
        final Ipv4Flyweight ip = ipv4.wrap(umem, address + l3Offset);
        if (Ipv4Flyweight.VERSION != ip.version())
        {
            return ParseError.IPV4_BAD_VERSION;
        }
        final int headerLength = ip.headerLengthBytes();
        if (headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH || headerLength > available)
        {
            return ParseError.IPV4_BAD_IHL;
        }
        final int totalLength = ip.totalLengthBytes();
        if (totalLength < headerLength || totalLength > packet - l3Offset)
        {
            return ParseError.IPV4_BAD_TOTAL_LENGTH;
        }

        final int ipEnd = l3Offset + totalLength;
        final int protocol = ip.protocol();
        final int fragment = ip.flagsAndFragmentOffset();
        int flags = headerLength > Ipv4Flyweight.MIN_HEADER_LENGTH ? IP_OPTIONS : 0;
        if (0 != (fragment & (Ipv4Flyweight.FLAG_MF | Ipv4Flyweight.FRAGMENT_OFFSET_MASK)))
        {
            flags |= IP_FRAGMENT;
        }
        if (0 != (fragment & Ipv4Flyweight.FRAGMENT_OFFSET_MASK))
        {
            flags |= IP_LATER_FRAGMENT;
        }

        event.ipVersion = Ipv4Flyweight.VERSION;
        event.ipEnd = ipEnd;
        event.ipProtocol = protocol;
        event.ttl = ip.ttl();
        event.ipFlags = flags;
        event.srcIpv4 = ip.srcAddress();
        event.dstIpv4 = ip.dstAddress();

        if (0 != (flags & IP_LATER_FRAGMENT))
        {
            return ParseError.NONE;
        }
        return parseL4(
            umem, address, length, l3Offset + headerLength, ipEnd, protocol, flags, Ipv4Flyweight.VERSION, event);
    }

    private ParseError parseIpv6(
        final MemorySegment umem,
        final long address,
        final int length,
        final int packet,
        final int l3Offset,
        final FrameEvent event)
    {
        final int available = length - l3Offset;
        if (available < Ipv6Flyweight.HEADER_LENGTH)
        {
            return ParseError.TRUNCATED_IPV6;
        }
        final Ipv6Flyweight ip = ipv6.wrap(umem, address + l3Offset);
        if (Ipv6Flyweight.VERSION != ip.version())
        {
            return ParseError.IPV6_BAD_VERSION;
        }
        final int payloadLength = ip.payloadLengthBytes();
        final int firstHeader = ip.nextHeader();
        // as the kernel's ipv6_rcv: 0 is a jumbogram only with a Hop-by-Hop header, otherwise an empty payload
        if ((0 == payloadLength && IpProtocols.HOP_BY_HOP == firstHeader) ||
            payloadLength > packet - l3Offset - Ipv6Flyweight.HEADER_LENGTH)
        {
            return ParseError.IPV6_BAD_PAYLOAD_LENGTH;
        }

        final int ipEnd = l3Offset + Ipv6Flyweight.HEADER_LENGTH + payloadLength;
        event.ipVersion = Ipv6Flyweight.VERSION;
        event.ipEnd = ipEnd;
        event.ttl = ip.hopLimit();
        event.srcIpv6Hi = ip.srcAddressHi();
        event.srcIpv6Lo = ip.srcAddressLo();
        event.dstIpv6Hi = ip.dstAddressHi();
        event.dstIpv6Lo = ip.dstAddressLo();

        int offset = l3Offset + Ipv6Flyweight.HEADER_LENGTH;
        int next = firstHeader;
        int flags = 0;
        int count = 0;
        while (Ipv6ExtensionFlyweight.isExtensionHeader(next))
        {
            if (MAX_EXTENSION_HEADERS == count)
            {
                return ParseError.IPV6_EXTENSION_CHAIN_TOO_LONG;
            }
            final int left = ipEnd - offset;
            if (left < Ipv6ExtensionFlyweight.MIN_HEADER_LENGTH)
            {
                return ParseError.TRUNCATED_IPV6_EXTENSION;
            }
            if (length - offset < Ipv6ExtensionFlyweight.MIN_HEADER_LENGTH)
            {
                return ParseError.HEADERS_SPLIT;
            }
            final Ipv6ExtensionFlyweight header = extension.wrap(umem, address + offset);
            final int headerLength = header.headerLengthBytes(next);
            if (headerLength > left)
            {
                return ParseError.TRUNCATED_IPV6_EXTENSION;
            }
            if (headerLength > length - offset)
            {
                return ParseError.HEADERS_SPLIT;
            }
            flags |= IP_EXTENSION_HEADERS;
            count++;
            offset += headerLength;
            if (IpProtocols.FRAGMENT == next)
            {
                final int fragmentOffset = header.fragmentOffsetBytes();
                next = header.nextHeader();
                if (0 != fragmentOffset)
                {
                    flags |= IP_FRAGMENT | IP_LATER_FRAGMENT;
                    break;
                }
                if (header.moreFragments())
                {
                    flags |= IP_FRAGMENT;
                }
                // offset 0 without M is an atomic fragment (RFC 6946): the whole packet, parsed as unfragmented
            }
            else
            {
                next = header.nextHeader();
            }
        }

        event.ipProtocol = next;
        event.ipFlags = flags;
        if (0 != (flags & IP_LATER_FRAGMENT))
        {
            return ParseError.NONE;
        }
        return parseL4(umem, address, length, offset, ipEnd, next, flags, Ipv6Flyweight.VERSION, event);
    }

    private ParseError parseL4(
        final MemorySegment umem,
        final long address,
        final int length,
        final int l4Offset,
        final int ipEnd,
        final int protocol,
        final int ipFlags,
        final int ipVersion,
        final FrameEvent event)
    {
        final int available = ipEnd - l4Offset;
        // a multi-buffer packet's L4 header must lie in its first buffer, where it is read
        final int head = length - l4Offset;
        if (head < available && head < l4HeaderBytes(protocol, ipVersion) &&
            available >= l4HeaderBytes(protocol, ipVersion))
        {
            return ParseError.HEADERS_SPLIT;
        }
        switch (protocol)
        {
            case IpProtocols.TCP ->
            {
                if (available < TcpFlyweight.MIN_HEADER_LENGTH)
                {
                    return ParseError.TRUNCATED_TCP;
                }
                final TcpFlyweight header = tcp.wrap(umem, address + l4Offset);
                final int headerLength = header.headerLengthBytes();
                if (headerLength < TcpFlyweight.MIN_HEADER_LENGTH || headerLength > available)
                {
                    return ParseError.TCP_BAD_DATA_OFFSET;
                }
                if (headerLength > head)
                {
                    return ParseError.HEADERS_SPLIT;
                }
                event.l4Offset = l4Offset;
                event.srcPort = header.srcPort();
                event.dstPort = header.dstPort();
                event.tcpFlags = header.flags();
                event.payloadOffset = l4Offset + headerLength;
            }
            case IpProtocols.UDP ->
            {
                if (available < UdpFlyweight.HEADER_LENGTH)
                {
                    return ParseError.TRUNCATED_UDP;
                }
                final UdpFlyweight header = udp.wrap(umem, address + l4Offset);
                final int udpLength = header.lengthBytes();
                // a first fragment's UDP length counts the whole datagram, more than this fragment holds
                if (udpLength < UdpFlyweight.HEADER_LENGTH ||
                    (udpLength > available && 0 == (ipFlags & IP_FRAGMENT)))
                {
                    return ParseError.UDP_BAD_LENGTH;
                }
                event.l4Offset = l4Offset;
                event.srcPort = header.srcPort();
                event.dstPort = header.dstPort();
                event.payloadOffset = l4Offset + UdpFlyweight.HEADER_LENGTH;
            }
            case IpProtocols.ICMP ->
            {
                if (Ipv4Flyweight.VERSION == ipVersion)
                {
                    if (available < IcmpFlyweight.HEADER_LENGTH)
                    {
                        return ParseError.TRUNCATED_ICMP;
                    }
                    icmp(umem, address, l4Offset, event);
                }
            }
            case IpProtocols.ICMPV6 ->
            {
                if (Ipv6Flyweight.VERSION == ipVersion)
                {
                    if (available < IcmpFlyweight.HEADER_LENGTH)
                    {
                        return ParseError.TRUNCATED_ICMPV6;
                    }
                    icmp(umem, address, l4Offset, event);
                }
            }
            default ->
            {
                // another protocol (GRE, SCTP, ESP, No Next Header...): ipProtocol says which, no L4 fields
            }
        }
        return ParseError.NONE;
    }

    private static int l4HeaderBytes(final int protocol, final int ipVersion)
    {
        return switch (protocol)
        {
            case IpProtocols.TCP -> TcpFlyweight.MIN_HEADER_LENGTH;
            case IpProtocols.UDP -> UdpFlyweight.HEADER_LENGTH;
            case IpProtocols.ICMP -> Ipv4Flyweight.VERSION == ipVersion ? IcmpFlyweight.HEADER_LENGTH : 0;
            case IpProtocols.ICMPV6 -> Ipv6Flyweight.VERSION == ipVersion ? IcmpFlyweight.HEADER_LENGTH : 0;
            default -> 0;
        };
    }

    private void icmp(final MemorySegment umem, final long address, final int l4Offset, final FrameEvent event)
    {
        final IcmpFlyweight header = icmp.wrap(umem, address + l4Offset);
        event.l4Offset = l4Offset;
        event.icmpType = header.type();
        event.icmpCode = header.code();
        event.payloadOffset = l4Offset + IcmpFlyweight.HEADER_LENGTH;
    }
}
