package io.sluice.xsk.gen;

import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import java.util.Arrays;

/**
 * A template frame checked and prepared for the generator program: Ethernet with up to two VLAN tags, IPv4
 * (options allowed, not a fragment) or IPv6 (no extension headers), then UDP. Preparing zeroes the sequence and
 * timestamp fields, sets the source port to the range's base and recomputes both checksums, so the program can
 * update them incrementally from known values on every run (it never trusts what a recycled page holds).
 */
final class TemplateFrame
{
    static final int ETH_HLEN = 14;
    static final int STAMP_BYTES = Long.BYTES;

    private static final int VLAN_TAG_LENGTH = 4;
    private static final int MAX_VLAN_TAGS = 2;
    private static final int IPV4_MIN_HEADER_LENGTH = 20;
    private static final int IPV6_HEADER_LENGTH = 40;
    private static final int UDP_HEADER_LENGTH = 8;
    private static final int IPV4_SADDR_OFFSET = 12;
    private static final int IPV6_SADDR_OFFSET = 8;
    private static final int IPV4_MF_OR_OFFSET = 0x3FFF;

    final byte[] frame;
    final boolean ipv6;
    final int l3Offset;
    final int l4Offset;
    final int seqOffset;
    final int tsOffset;
    final boolean udpChecksum;
    final int ipCheck;
    final int udpCheck;
    final int srcAddrLow;
    final int srcAddrLowOffset;
    final int templateSrcPort;

    private TemplateFrame(
        final byte[] frame,
        final boolean ipv6,
        final int l3Offset,
        final int l4Offset,
        final int seqOffset,
        final int tsOffset,
        final boolean udpChecksum,
        final int templateSrcPort)
    {
        this.frame = frame;
        this.ipv6 = ipv6;
        this.l3Offset = l3Offset;
        this.l4Offset = l4Offset;
        this.seqOffset = seqOffset;
        this.tsOffset = tsOffset;
        this.udpChecksum = udpChecksum;
        this.templateSrcPort = templateSrcPort;
        this.srcAddrLowOffset = l3Offset + (ipv6 ? IPV6_SADDR_OFFSET + 12 : IPV4_SADDR_OFFSET);
        this.srcAddrLow = u32(frame, srcAddrLowOffset);
        this.ipCheck = ipv6 ? 0 : u16(frame, l3Offset + 10);
        this.udpCheck = u16(frame, l4Offset + 6);
    }

    /**
     * The UDP source port of a frame, for a default port range.
     *
     * @param frame a frame {@link #prepare} accepts.
     * @return its source port.
     */
    static int sourcePort(final byte[] frame)
    {
        return u16(frame, parse(frame).l4Offset);
    }

    /**
     * Check a template and prepare a copy for the program.
     *
     * @param template        the frame as the user built it.
     * @param seqPayloadBytes offset of the sequence number in the UDP payload.
     * @param tsPayloadBytes  offset of the timestamp in the UDP payload.
     * @param srcPortBase     first source port of the range.
     * @param maxFrameBytes   longest frame live-frame mode accepts.
     * @return the prepared template.
     * @throws IllegalArgumentException saying what is wrong with the frame or the offsets.
     */
    static TemplateFrame prepare(
        final byte[] template,
        final int seqPayloadBytes,
        final int tsPayloadBytes,
        final int srcPortBase,
        final int maxFrameBytes)
    {
        if (template.length > maxFrameBytes)
        {
            throw new IllegalArgumentException("template of " + template.length + " bytes: live-frame mode takes " +
                "frames of at most " + maxFrameBytes + " bytes (a page less the XDP headroom, the kernel's page " +
                "head and skb_shared_info), and an egress device drops frames longer than its MTU allows");
        }
        final Layout layout = parse(template);
        final int payloadBytes = layout.udpLength - UDP_HEADER_LENGTH;
        checkStamp("sequence number", seqPayloadBytes, payloadBytes, template.length);
        checkStamp("timestamp", tsPayloadBytes, payloadBytes, template.length);
        if (Math.abs(seqPayloadBytes - tsPayloadBytes) < STAMP_BYTES)
        {
            throw new IllegalArgumentException("the sequence number (payload offset " + seqPayloadBytes +
                ") and the timestamp (payload offset " + tsPayloadBytes + ") overlap: each takes " + STAMP_BYTES +
                " bytes");
        }

        final byte[] frame = template.clone();
        final int payloadOffset = layout.l4Offset + UDP_HEADER_LENGTH;
        final int seqOffset = payloadOffset + seqPayloadBytes;
        final int tsOffset = payloadOffset + tsPayloadBytes;
        final int templateSrcPort = u16(frame, layout.l4Offset);
        Arrays.fill(frame, seqOffset, seqOffset + STAMP_BYTES, (byte)0);
        Arrays.fill(frame, tsOffset, tsOffset + STAMP_BYTES, (byte)0);
        putU16(frame, layout.l4Offset, srcPortBase);

        if (!layout.ipv6)
        {
            putU16(frame, layout.l3Offset + 10, 0);
            putU16(frame, layout.l3Offset + 10, checksum(frame, layout.l3Offset, layout.ipv4HeaderLength));
        }
        // IPv4 may go without a UDP checksum (0); IPv6 may not, so there one is always made
        final boolean udpChecksum = layout.ipv6 || 0 != u16(template, layout.l4Offset + 6);
        putU16(frame, layout.l4Offset + 6, 0);
        if (udpChecksum)
        {
            putU16(frame, layout.l4Offset + 6, udpChecksum(frame, layout));
        }

        return new TemplateFrame(
            frame, layout.ipv6, layout.l3Offset, layout.l4Offset, seqOffset, tsOffset, udpChecksum, templateSrcPort);
    }

    private record Layout(boolean ipv6, int l3Offset, int ipv4HeaderLength, int l4Offset, int udpLength)
    {
    }

    private static Layout parse(final byte[] frame)
    {
        if (frame.length < ETH_HLEN)
        {
            throw new IllegalArgumentException("template of " + frame.length + " bytes is shorter than an " +
                ETH_HLEN + "-byte Ethernet header");
        }
        int l3 = ETH_HLEN;
        int etherType = u16(frame, 12);
        for (int tags = 0; tags < MAX_VLAN_TAGS && isVlan(etherType); tags++)
        {
            requireLength(frame, l3 + 2, "VLAN tag");
            etherType = u16(frame, l3 + 2);
            l3 += VLAN_TAG_LENGTH;
        }

        if (EtherTypes.IPV4 == etherType)
        {
            requireLength(frame, l3 + IPV4_MIN_HEADER_LENGTH, "IPv4 header");
            final int version = (frame[l3] & 0xF0) >>> 4;
            final int headerLength = (frame[l3] & 0x0F) * 4;
            if (4 != version || headerLength < IPV4_MIN_HEADER_LENGTH)
            {
                throw new IllegalArgumentException("template's IPv4 header is invalid: version " + version +
                    ", header length " + headerLength);
            }
            requireLength(frame, l3 + headerLength, "IPv4 header with options");
            final int totalLength = u16(frame, l3 + 2);
            if (0 != (u16(frame, l3 + 6) & IPV4_MF_OR_OFFSET))
            {
                throw new IllegalArgumentException("template is an IPv4 fragment; the generator stamps whole " +
                    "UDP datagrams");
            }
            requireUdp(frame[l3 + 9] & 0xFF, "IPv4 protocol");
            if (totalLength < headerLength + UDP_HEADER_LENGTH || l3 + totalLength > frame.length)
            {
                throw new IllegalArgumentException("template's IPv4 total length " + totalLength + " does not fit " +
                    "a " + headerLength + "-byte header, a UDP header and the " + (frame.length - l3) +
                    " bytes after the Ethernet header");
            }
            final int l4 = l3 + headerLength;
            return new Layout(false, l3, headerLength, l4, udpLength(frame, l4, totalLength - headerLength));
        }
        if (EtherTypes.IPV6 == etherType)
        {
            requireLength(frame, l3 + IPV6_HEADER_LENGTH, "IPv6 header");
            final int version = (frame[l3] & 0xF0) >>> 4;
            if (6 != version)
            {
                throw new IllegalArgumentException("template's IPv6 header has version " + version);
            }
            requireUdp(frame[l3 + 6] & 0xFF, "IPv6 next header (extension headers are not supported)");
            final int payloadLength = u16(frame, l3 + 4);
            if (l3 + IPV6_HEADER_LENGTH + payloadLength > frame.length)
            {
                throw new IllegalArgumentException("template's IPv6 payload length " + payloadLength +
                    " runs past the end of the " + frame.length + "-byte frame");
            }
            final int l4 = l3 + IPV6_HEADER_LENGTH;
            return new Layout(true, l3, 0, l4, udpLength(frame, l4, payloadLength));
        }

        throw new IllegalArgumentException(String.format(
            "template carries ethertype 0x%04x; the generator sends IPv4 or IPv6 UDP", etherType));
    }

    private static int udpLength(final byte[] frame, final int l4, final int ipPayloadLength)
    {
        requireLength(frame, l4 + UDP_HEADER_LENGTH, "UDP header");
        final int udpLength = u16(frame, l4 + 4);
        if (udpLength < UDP_HEADER_LENGTH || udpLength > ipPayloadLength)
        {
            throw new IllegalArgumentException("template's UDP length " + udpLength + " is not within [" +
                UDP_HEADER_LENGTH + ", " + ipPayloadLength + "], the IP payload");
        }

        return udpLength;
    }

    private static void checkStamp(
        final String what, final int payloadOffset, final int payloadBytes, final int frameBytes)
    {
        if (payloadOffset < 0 || payloadOffset + STAMP_BYTES > payloadBytes)
        {
            throw new IllegalArgumentException("template too short for the " + what + " at UDP payload offset " +
                payloadOffset + ": it takes " + STAMP_BYTES + " bytes, and the " + frameBytes + "-byte frame " +
                "carries a UDP payload of " + payloadBytes + " bytes");
        }
    }

    private static void requireUdp(final int protocol, final String what)
    {
        if (IpProtocols.UDP != protocol)
        {
            throw new IllegalArgumentException("template's " + what + " is " + protocol + ", not UDP (" +
                IpProtocols.UDP + ")");
        }
    }

    private static void requireLength(final byte[] frame, final int length, final String what)
    {
        if (frame.length < length)
        {
            throw new IllegalArgumentException("template of " + frame.length + " bytes ends inside its " + what +
                " (needs " + length + ")");
        }
    }

    private static boolean isVlan(final int etherType)
    {
        return EtherTypes.VLAN == etherType || EtherTypes.QINQ == etherType || EtherTypes.VLAN_9100 == etherType;
    }

    private static int udpChecksum(final byte[] frame, final Layout layout)
    {
        // pseudo-header: source and destination addresses, protocol, UDP length; then the datagram itself
        final long sum = layout.ipv6 ?
            sumWords(frame, layout.l3Offset + IPV6_SADDR_OFFSET, 32) :
            sumWords(frame, layout.l3Offset + IPV4_SADDR_OFFSET, 8);
        final long datagram = sumWords(frame, layout.l4Offset, layout.udpLength);
        final int check = ~fold(sum + IpProtocols.UDP + layout.udpLength + datagram) & 0xFFFF;

        return 0 == check ? 0xFFFF : check;
    }

    /**
     * The Internet checksum (RFC 1071) of a byte range.
     *
     * @param bytes  data.
     * @param offset first byte.
     * @param length bytes to sum; an odd last byte is padded with zero.
     * @return the complemented ones' complement sum.
     */
    static int checksum(final byte[] bytes, final int offset, final int length)
    {
        return ~fold(sumWords(bytes, offset, length)) & 0xFFFF;
    }

    private static long sumWords(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2)
        {
            sum += u16(bytes, offset + i);
        }
        if (0 != (length & 1))
        {
            sum += (bytes[offset + length - 1] & 0xFF) << 8;
        }

        return sum;
    }

    private static int fold(final long value)
    {
        long sum = value;
        while (0 != (sum >>> 16))
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }

        return (int)sum;
    }

    static int u16(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    static int u32(final byte[] bytes, final int offset)
    {
        return (u16(bytes, offset) << 16) | u16(bytes, offset + 2);
    }

    private static void putU16(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)(value >>> 8);
        bytes[offset + 1] = (byte)value;
    }
}
