package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Parsed frames for the filter tests, built by setting the {@link FrameEvent} fields the parser would; the wire-level
 * builder is {@link io.sluice.xsk.frame.Frames}.
 */
final class ParsedFrames
{
    private ParsedFrames()
    {
    }

    static FrameEvent udp(final String src, final int srcPort, final String dst, final int dstPort)
    {
        return l4(IpProtocols.UDP, src, srcPort, dst, dstPort);
    }

    static FrameEvent tcp(final String src, final int srcPort, final String dst, final int dstPort, final int flags)
    {
        final FrameEvent event = l4(IpProtocols.TCP, src, srcPort, dst, dstPort);
        event.tcpFlags = flags;
        return event;
    }

    static FrameEvent icmp(final String src, final String dst, final int type, final int code)
    {
        final FrameEvent event = ip(src, dst);
        event.ipProtocol = 4 == event.ipVersion ? IpProtocols.ICMP : IpProtocols.ICMPV6;
        event.l4Offset = event.l3Offset + (4 == event.ipVersion ? 20 : 40);
        event.icmpType = type;
        event.icmpCode = code;
        return event;
    }

    /**
     * An IP datagram of the given protocol without an L4 header the parser reads (ESP, GRE, ...).
     */
    static FrameEvent ipOnly(final String src, final String dst, final int protocol)
    {
        final FrameEvent event = ip(src, dst);
        event.ipProtocol = protocol;
        return event;
    }

    static FrameEvent nonIp(final int etherType)
    {
        final FrameEvent event = new FrameEvent();
        event.clearParse();
        event.length = 60;
        event.etherType = etherType;
        return event;
    }

    static FrameEvent tagged(final FrameEvent event, final int vlanId)
    {
        event.vlanCount = 1;
        event.outerVlanId = vlanId;
        event.l3Offset += 4;
        return event;
    }

    static FrameEvent laterFragment(final FrameEvent event)
    {
        event.ipFlags |= FrameEvent.IP_FRAGMENT | FrameEvent.IP_LATER_FRAGMENT;
        event.l4Offset = FrameEvent.ABSENT;
        event.srcPort = FrameEvent.ABSENT;
        event.dstPort = FrameEvent.ABSENT;
        event.tcpFlags = FrameEvent.ABSENT;
        event.icmpType = FrameEvent.ABSENT;
        event.icmpCode = FrameEvent.ABSENT;
        return event;
    }

    static FrameEvent firstFragment(final FrameEvent event)
    {
        event.ipFlags |= FrameEvent.IP_FRAGMENT;
        return event;
    }

    private static FrameEvent l4(
        final int protocol, final String src, final int srcPort, final String dst, final int dstPort)
    {
        final FrameEvent event = ip(src, dst);
        event.ipProtocol = protocol;
        event.l4Offset = event.l3Offset + (4 == event.ipVersion ? 20 : 40);
        event.srcPort = srcPort;
        event.dstPort = dstPort;
        return event;
    }

    private static FrameEvent ip(final String src, final String dst)
    {
        final FrameEvent event = new FrameEvent();
        event.clearParse();
        event.length = 128;
        event.l3Offset = 14;
        event.ttl = 64;
        final InetAddress source = InetAddress.ofLiteral(src);
        final InetAddress destination = InetAddress.ofLiteral(dst);
        if (source instanceof Inet4Address && destination instanceof Inet4Address)
        {
            event.etherType = EtherTypes.IPV4;
            event.ipVersion = 4;
            event.srcIpv4 = ByteBuffer.wrap(source.getAddress()).getInt();
            event.dstIpv4 = ByteBuffer.wrap(destination.getAddress()).getInt();
        }
        else if (source instanceof Inet6Address && destination instanceof Inet6Address)
        {
            event.etherType = EtherTypes.IPV6;
            event.ipVersion = 6;
            final ByteBuffer srcBytes = ByteBuffer.wrap(source.getAddress());
            final ByteBuffer dstBytes = ByteBuffer.wrap(destination.getAddress());
            event.srcIpv6Hi = srcBytes.getLong();
            event.srcIpv6Lo = srcBytes.getLong();
            event.dstIpv6Hi = dstBytes.getLong();
            event.dstIpv6Lo = dstBytes.getLong();
        }
        else
        {
            throw new IllegalArgumentException("mixed families: " + src + " " + dst);
        }
        event.ipEnd = event.length;
        event.payloadOffset = FrameEvent.ABSENT;
        return event;
    }
}
