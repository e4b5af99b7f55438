package io.sluice.pipeline.parse;

import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds test frames byte by byte with correct checksums, and remembers where each header starts and ends so a
 * test can say which {@link ParseError} every truncation of the frame must give. The checksum arithmetic here is
 * written separately from {@link Checksums}, so each checks the other.
 * <p>
 * Unlike {@code io.sluice.xsk.frame.Frames}, any number of VLAN tags and any IPv6 extension header chain can be
 * built, so the parser's bounds can be crossed.
 */
final class FrameCrafter
{
    static final long DST_MAC = 0x0200_0000_0002L;
    static final long SRC_MAC = 0x0200_0000_0001L;
    static final int SRC_IPV4 = 0x0A00_0001; // 10.0.0.1
    static final int DST_IPV4 = 0xC0A8_0102; // 192.168.1.2
    static final long SRC_IPV6_HI = 0x2001_0DB8_0000_0001L;
    static final long SRC_IPV6_LO = 0x0000_0000_0000_0011L;
    static final long DST_IPV6_HI = 0xFD00_0000_0000_0002L;
    static final long DST_IPV6_LO = 0x1234_5678_9ABC_DEF0L;
    static final int TTL = 64;
    static final int PADDING_BYTE = 0xA5;

    private static final int UNSET = -1;

    private record Extension(int type, int lengthBytes, int fragmentOffsetBytes, boolean more)
    {
    }

    /**
     * A crafted frame and where its headers are.
     *
     * @param bytes         the frame.
     * @param vlanTags      tags built, possibly more than the parser walks.
     * @param l3Offset      offset of the L3 header (after the tags the parser walks), or -1 with too many tags.
     * @param ipVersion     4, 6 or 0.
     * @param ipHeaderEnd   end of the IPv4 header with options, or of the fixed IPv6 header.
     * @param ipEnd         end of the IP datagram (before padding).
     * @param extensionEnds end offset of each IPv6 extension header built.
     * @param firstExtensionType type of the first IPv6 extension header, or -1.
     * @param fragment      the datagram is a fragment (MF or offset).
     * @param laterFragment a fragment at a non-zero offset.
     * @param ipProtocol    the protocol the parser should report.
     * @param l4Offset      offset of the L4 header, or -1 when none is built.
     * @param l4HeaderEnd   end of the L4 header (TCP with options, UDP 8, ICMP 8), or -1.
     */
    record Crafted(
        byte[] bytes,
        int vlanTags,
        int l3Offset,
        int ipVersion,
        int ipHeaderEnd,
        int ipEnd,
        int[] extensionEnds,
        int firstExtensionType,
        boolean fragment,
        boolean laterFragment,
        int ipProtocol,
        int l4Offset,
        int l4HeaderEnd)
    {
        int length()
        {
            return bytes.length;
        }

        /**
         * @param length of the frame cut short, IP length fields untouched.
         * @return what the parser must report.
         */
        ParseError expectedForFrameLength(final int length)
        {
            if (length < EthernetFlyweight.HEADER_LENGTH)
            {
                return ParseError.TRUNCATED_ETHERNET;
            }
            for (int tag = 0; tag < Math.min(vlanTags, PacketParser.MAX_VLAN_TAGS); tag++)
            {
                if (length < EthernetFlyweight.HEADER_LENGTH + VlanFlyweight.TAG_LENGTH * (tag + 1))
                {
                    return ParseError.TRUNCATED_VLAN;
                }
            }
            if (vlanTags > PacketParser.MAX_VLAN_TAGS)
            {
                return ParseError.VLAN_TOO_DEEP;
            }
            if (4 == ipVersion)
            {
                if (length < l3Offset + Ipv4Flyweight.MIN_HEADER_LENGTH)
                {
                    return ParseError.TRUNCATED_IPV4;
                }
                if (length < ipHeaderEnd)
                {
                    return ParseError.IPV4_BAD_IHL;
                }
                if (length < ipEnd)
                {
                    return ParseError.IPV4_BAD_TOTAL_LENGTH;
                }
            }
            else if (6 == ipVersion)
            {
                if (length < ipHeaderEnd)
                {
                    return ParseError.TRUNCATED_IPV6;
                }
                if (length < ipEnd)
                {
                    return ParseError.IPV6_BAD_PAYLOAD_LENGTH;
                }
            }
            return length < ipEnd ? ParseError.NONE : expectedForDatagramEnd(ipEnd);
        }

        /**
         * @param datagramEnd where the IP datagram ends once cut, its length fields rewritten to match.
         * @return what the parser must report.
         */
        ParseError expectedForDatagramEnd(final int datagramEnd)
        {
            final boolean cut = datagramEnd < ipEnd;
            if (6 == ipVersion)
            {
                if (datagramEnd == ipHeaderEnd && IpProtocols.HOP_BY_HOP == firstExtensionType)
                {
                    return ParseError.IPV6_BAD_PAYLOAD_LENGTH;
                }
                for (int i = 0; i < Math.min(extensionEnds.length, PacketParser.MAX_EXTENSION_HEADERS); i++)
                {
                    if (datagramEnd < extensionEnds[i])
                    {
                        return ParseError.TRUNCATED_IPV6_EXTENSION;
                    }
                }
                if (extensionEnds.length > PacketParser.MAX_EXTENSION_HEADERS)
                {
                    return ParseError.IPV6_EXTENSION_CHAIN_TOO_LONG;
                }
            }
            if (laterFragment || l4Offset < 0)
            {
                return ParseError.NONE;
            }
            return switch (ipProtocol)
            {
                case IpProtocols.TCP -> datagramEnd < l4Offset + TcpFlyweight.MIN_HEADER_LENGTH ?
                    ParseError.TRUNCATED_TCP :
                    datagramEnd < l4HeaderEnd ? ParseError.TCP_BAD_DATA_OFFSET : ParseError.NONE;
                case IpProtocols.UDP -> datagramEnd < l4HeaderEnd ?
                    ParseError.TRUNCATED_UDP :
                    cut && !fragment ? ParseError.UDP_BAD_LENGTH : ParseError.NONE;
                case IpProtocols.ICMP -> datagramEnd < l4HeaderEnd ? ParseError.TRUNCATED_ICMP : ParseError.NONE;
                case IpProtocols.ICMPV6 ->
                    datagramEnd < l4HeaderEnd ? ParseError.TRUNCATED_ICMPV6 : ParseError.NONE;
                default -> throw new IllegalStateException("no L4 expected for protocol " + ipProtocol);
            };
        }

        /**
         * @param datagramEnd where to end the IP datagram, at or after {@link #ipHeaderEnd}.
         * @return the frame cut there with its IPv4 total length (and header checksum) or IPv6 payload length
         * rewritten to match, so the IP layer is sound and the cut falls inside what it carries.
         */
        byte[] cutDatagram(final int datagramEnd)
        {
            final byte[] cut = Arrays.copyOf(bytes, datagramEnd);
            if (4 == ipVersion)
            {
                putU16(cut, l3Offset + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, datagramEnd - l3Offset);
                putU16(cut, l3Offset + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
                putU16(cut, l3Offset + Ipv4Flyweight.CHECKSUM_OFFSET,
                    checksum(cut, l3Offset, ipHeaderEnd - l3Offset, 0));
            }
            else
            {
                putU16(cut, l3Offset + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, datagramEnd - ipHeaderEnd);
            }
            return cut;
        }
    }

    private long dstMac = DST_MAC;
    private long srcMac = SRC_MAC;
    private final List<int[]> tags = new ArrayList<>();

    private int rawEtherType = UNSET;
    private int ipVersion;
    private int srcIpv4 = SRC_IPV4;
    private int dstIpv4 = DST_IPV4;
    private long srcIpv6Hi = SRC_IPV6_HI;
    private long srcIpv6Lo = SRC_IPV6_LO;
    private long dstIpv6Hi = DST_IPV6_HI;
    private long dstIpv6Lo = DST_IPV6_LO;
    private int ttl = TTL;
    private int ipv4OptionsLength;
    private int ipv4FragmentOffsetBytes;
    private boolean ipv4MoreFragments;
    private final List<Extension> extensions = new ArrayList<>();

    private int protocol = UNSET;
    private boolean l4Header;
    private int srcPort;
    private int dstPort;
    private int tcpFlags;
    private int tcpOptionsLength;
    private int udpLength = UNSET;
    private int icmpType;
    private int icmpCode;
    private int payloadLength;
    private int paddedLength;

    private FrameCrafter()
    {
    }

    static FrameCrafter ethernet()
    {
        return new FrameCrafter();
    }

    FrameCrafter macs(final long dst, final long src)
    {
        dstMac = dst;
        srcMac = src;
        return this;
    }

    /**
     * A tag, outer first.
     */
    FrameCrafter vlan(final int tpid, final int tci)
    {
        tags.add(new int[]{ tpid, tci });
        return this;
    }

    /**
     * A non-IP frame: the EtherType and {@code payloadBytes} of payload.
     */
    FrameCrafter etherType(final int type, final int payloadBytes)
    {
        rawEtherType = type;
        payloadLength = payloadBytes;
        return this;
    }

    FrameCrafter ipv4()
    {
        ipVersion = 4;
        return this;
    }

    FrameCrafter ipv4(final int src, final int dst)
    {
        ipVersion = 4;
        srcIpv4 = src;
        dstIpv4 = dst;
        return this;
    }

    /**
     * NOP options, a multiple of 4 bytes up to 40.
     */
    FrameCrafter ipv4Options(final int lengthBytes)
    {
        if (lengthBytes % 4 != 0 || lengthBytes > 40)
        {
            throw new IllegalArgumentException("options length " + lengthBytes);
        }
        ipv4OptionsLength = lengthBytes;
        return this;
    }

    FrameCrafter ipv4Fragment(final int offsetBytes, final boolean more)
    {
        ipv4FragmentOffsetBytes = offsetBytes;
        ipv4MoreFragments = more;
        return this;
    }

    FrameCrafter ipv6()
    {
        ipVersion = 6;
        return this;
    }

    FrameCrafter ipv6(final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        ipVersion = 6;
        srcIpv6Hi = srcHi;
        srcIpv6Lo = srcLo;
        dstIpv6Hi = dstHi;
        dstIpv6Lo = dstLo;
        return this;
    }

    FrameCrafter ttl(final int value)
    {
        ttl = value;
        return this;
    }

    /**
     * Append an IPv6 extension header to the chain: AH counts its length in 4 byte units (at least 8), the others
     * in 8 byte units (at least 8).
     */
    FrameCrafter extension(final int type, final int lengthBytes)
    {
        final int unit = IpProtocols.AH == type ? 4 : 8;
        if (lengthBytes < 8 || lengthBytes % unit != 0 || IpProtocols.FRAGMENT == type)
        {
            throw new IllegalArgumentException("extension " + type + " of " + lengthBytes + " bytes");
        }
        extensions.add(new Extension(type, lengthBytes, 0, false));
        return this;
    }

    /**
     * Append an IPv6 Fragment header to the chain. At a non-zero offset, nothing after it (extension headers, L4
     * header) is built, only the payload.
     */
    FrameCrafter ipv6Fragment(final int offsetBytes, final boolean more)
    {
        extensions.add(new Extension(IpProtocols.FRAGMENT, 8, offsetBytes, more));
        return this;
    }

    FrameCrafter tcp(final int src, final int dst, final int flags, final int optionsLength)
    {
        if (optionsLength % 4 != 0 || optionsLength > 40)
        {
            throw new IllegalArgumentException("TCP options length " + optionsLength);
        }
        protocol = IpProtocols.TCP;
        l4Header = true;
        srcPort = src;
        dstPort = dst;
        tcpFlags = flags;
        tcpOptionsLength = optionsLength;
        return this;
    }

    FrameCrafter udp(final int src, final int dst)
    {
        protocol = IpProtocols.UDP;
        l4Header = true;
        srcPort = src;
        dstPort = dst;
        return this;
    }

    /**
     * Claim a UDP length other than the bytes built, e.g. a first fragment's whole datagram.
     */
    FrameCrafter udpLength(final int lengthBytes)
    {
        udpLength = lengthBytes;
        return this;
    }

    /**
     * ICMP over IPv4, ICMPv6 over IPv6; the message is echo-shaped (identifier 0x1234, sequence 1).
     */
    FrameCrafter icmp(final int type, final int code)
    {
        protocol = UNSET - 1; // resolved at build, once the IP version is known
        l4Header = true;
        icmpType = type;
        icmpCode = code;
        return this;
    }

    /**
     * A protocol number with no L4 header built, only the payload.
     */
    FrameCrafter protocol(final int value)
    {
        protocol = value;
        l4Header = false;
        return this;
    }

    /**
     * Payload bytes {@code 0, 1, 2 ...} after the L4 header (or the IP header when none).
     */
    FrameCrafter payload(final int lengthBytes)
    {
        payloadLength = lengthBytes;
        return this;
    }

    /**
     * Ethernet padding: {@link #PADDING_BYTE} after the datagram up to this frame length.
     */
    FrameCrafter padTo(final int frameLength)
    {
        paddedLength = frameLength;
        return this;
    }

    Crafted build()
    {
        final ByteBuffer l2 = ByteBuffer.allocate(EthernetFlyweight.HEADER_LENGTH + 4 * tags.size());
        l2.putShort((short)(dstMac >>> 32)).putInt((int)dstMac);
        l2.putShort((short)(srcMac >>> 32)).putInt((int)srcMac);
        final int etherType = 4 == ipVersion ? EtherTypes.IPV4 :
            6 == ipVersion ? EtherTypes.IPV6 : rawEtherType;
        if (UNSET == etherType)
        {
            throw new IllegalStateException("no L3: ipv4(), ipv6() or etherType()");
        }
        for (final int[] tag : tags)
        {
            l2.putShort((short)tag[0]).putShort((short)tag[1]);
        }
        l2.putShort((short)etherType);
        final byte[] l2Bytes = l2.array();
        final int l3Offset = tags.size() > PacketParser.MAX_VLAN_TAGS ? -1 : l2Bytes.length;

        if (0 == ipVersion)
        {
            final byte[] frame = concat(l2Bytes, payloadBytes(payloadLength));
            return new Crafted(pad(frame), tags.size(), l3Offset, 0, -1, frame.length, new int[0], UNSET, false,
                false, UNSET, -1, -1);
        }

        final int l4Protocol = UNSET - 1 == protocol ? (4 == ipVersion ? IpProtocols.ICMP : IpProtocols.ICMPV6) :
            UNSET == protocol ? IpProtocols.NO_NEXT_HEADER : protocol;
        return 4 == ipVersion ?
            ipv4Frame(l2Bytes, l3Offset, l4Protocol) :
            ipv6Frame(l2Bytes, l3Offset, l4Protocol);
    }

    private Crafted ipv4Frame(final byte[] l2Bytes, final int l3Offset, final int l4Protocol)
    {
        final boolean later = ipv4FragmentOffsetBytes > 0;
        final boolean fragment = later || ipv4MoreFragments;
        final int headerLength = Ipv4Flyweight.MIN_HEADER_LENGTH + ipv4OptionsLength;
        final byte[] addresses = ByteBuffer.allocate(8).putInt(srcIpv4).putInt(dstIpv4).array();
        final boolean buildL4 = l4Header && !later;
        final byte[] l4 = buildL4 ?
            l4Segment(l4Protocol, IpProtocols.ICMP == l4Protocol ? null : addresses) :
            payloadBytes(payloadLength);

        final ByteBuffer ip = ByteBuffer.allocate(headerLength + l4.length);
        ip.put((byte)(0x40 | headerLength / 4)).put((byte)0).putShort((short)(headerLength + l4.length));
        ip.putShort((short)0x4242);
        ip.putShort((short)((ipv4MoreFragments ? Ipv4Flyweight.FLAG_MF : 0) | ipv4FragmentOffsetBytes / 8));
        ip.put((byte)ttl).put((byte)l4Protocol).putShort((short)0).put(addresses);
        for (int i = 0; i < ipv4OptionsLength; i++)
        {
            ip.put((byte)1); // NOP
        }
        ip.put(l4);
        final byte[] ipBytes = ip.array();
        putU16(ipBytes, Ipv4Flyweight.CHECKSUM_OFFSET, checksum(ipBytes, 0, headerLength, 0));

        final byte[] frame = concat(l2Bytes, ipBytes);
        final int ipHeaderEnd = l2Bytes.length + headerLength;
        return new Crafted(pad(frame), tags.size(), l3Offset, 4, ipHeaderEnd, frame.length, new int[0], UNSET,
            fragment, later, l4Protocol, buildL4 ? ipHeaderEnd : -1, buildL4 ? ipHeaderEnd + l4HeaderLength() : -1);
    }

    private Crafted ipv6Frame(final byte[] l2Bytes, final int l3Offset, final int l4Protocol)
    {
        final byte[] addresses = ByteBuffer.allocate(32)
            .putLong(srcIpv6Hi).putLong(srcIpv6Lo).putLong(dstIpv6Hi).putLong(dstIpv6Lo).array();

        int built = 0;
        boolean later = false;
        boolean fragment = false;
        while (built < extensions.size() && !later)
        {
            final Extension extension = extensions.get(built++);
            if (IpProtocols.FRAGMENT == extension.type())
            {
                later = extension.fragmentOffsetBytes() > 0;
                fragment |= later || extension.more();
            }
        }
        final boolean buildL4 = l4Header && !later;
        final byte[] l4 = buildL4 ? l4Segment(l4Protocol, addresses) : payloadBytes(payloadLength);

        final ByteArrayOutputStream chain = new ByteArrayOutputStream();
        final int[] ends = new int[built];
        int end = l2Bytes.length + Ipv6Flyweight.HEADER_LENGTH;
        for (int i = 0; i < built; i++)
        {
            final Extension extension = extensions.get(i);
            final int next = i + 1 < extensions.size() ? extensions.get(i + 1).type() : l4Protocol;
            final byte[] header = new byte[extension.lengthBytes()];
            header[0] = (byte)next;
            if (IpProtocols.FRAGMENT == extension.type())
            {
                putU16(header, 2, extension.fragmentOffsetBytes() | (extension.more() ? 1 : 0));
                putU16(header, 4, 0x0001);
                putU16(header, 6, 0x0203);
            }
            else if (IpProtocols.AH == extension.type())
            {
                header[1] = (byte)(extension.lengthBytes() / 4 - 2);
            }
            else
            {
                header[1] = (byte)(extension.lengthBytes() / 8 - 1);
            }
            chain.writeBytes(header);
            end += header.length;
            ends[i] = end;
        }

        final byte[] chainBytes = chain.toByteArray();
        final int payloadLengthBytes = chainBytes.length + l4.length;
        final ByteBuffer ip = ByteBuffer.allocate(Ipv6Flyweight.HEADER_LENGTH);
        ip.putInt(0x6000_0000 | 0x0A << 20 | 0x12345).putShort((short)payloadLengthBytes);
        ip.put((byte)(extensions.isEmpty() ? l4Protocol : extensions.get(0).type())).put((byte)ttl).put(addresses);

        final byte[] frame = concat(concat(concat(l2Bytes, ip.array()), chainBytes), l4);
        final int ipHeaderEnd = l2Bytes.length + Ipv6Flyweight.HEADER_LENGTH;
        final int l4Offset = ipHeaderEnd + chainBytes.length;
        final int reportedProtocol = later && built < extensions.size() ? extensions.get(built).type() : l4Protocol;
        return new Crafted(pad(frame), tags.size(), l3Offset, 6, ipHeaderEnd, frame.length, ends,
            extensions.isEmpty() ? UNSET : extensions.get(0).type(), fragment, later, reportedProtocol,
            buildL4 ? l4Offset : -1, buildL4 ? l4Offset + l4HeaderLength() : -1);
    }

    private int l4HeaderLength()
    {
        return switch (protocol)
        {
            case IpProtocols.TCP -> TcpFlyweight.MIN_HEADER_LENGTH + tcpOptionsLength;
            case IpProtocols.UDP -> UdpFlyweight.HEADER_LENGTH;
            default -> IcmpFlyweight.HEADER_LENGTH;
        };
    }

    /**
     * @param pseudoAddresses source then destination address for the pseudo-header, or null for ICMP over IPv4.
     */
    private byte[] l4Segment(final int l4Protocol, final byte[] pseudoAddresses)
    {
        final int headerLength = l4HeaderLength();
        final ByteBuffer l4 = ByteBuffer.allocate(headerLength + payloadLength);
        final int checksumOffset;
        switch (l4Protocol)
        {
            case IpProtocols.TCP ->
            {
                l4.putShort((short)srcPort).putShort((short)dstPort).putInt(0x0102_0304).putInt(0x0506_0708);
                l4.put((byte)((headerLength / 4) << 4)).put((byte)tcpFlags).putShort((short)0xFFFF);
                l4.putShort((short)0).putShort((short)0);
                for (int i = 0; i < tcpOptionsLength; i++)
                {
                    l4.put((byte)1); // NOP
                }
                checksumOffset = TcpFlyweight.CHECKSUM_OFFSET;
            }
            case IpProtocols.UDP ->
            {
                final int length = UNSET == udpLength ? headerLength + payloadLength : udpLength;
                l4.putShort((short)srcPort).putShort((short)dstPort).putShort((short)length).putShort((short)0);
                checksumOffset = UdpFlyweight.CHECKSUM_OFFSET;
            }
            default ->
            {
                l4.put((byte)icmpType).put((byte)icmpCode).putShort((short)0);
                l4.putShort((short)0x1234).putShort((short)1);
                checksumOffset = IcmpFlyweight.CHECKSUM_OFFSET;
            }
        }
        l4.put(payloadBytes(payloadLength));
        final byte[] segment = l4.array();

        long pseudo = 0;
        if (null != pseudoAddresses)
        {
            pseudo = sumWords(pseudoAddresses, 0, pseudoAddresses.length) + l4Protocol +
                (segment.length >>> 16) + (segment.length & 0xFFFF);
        }
        int checksum = checksum(segment, 0, segment.length, pseudo);
        if (IpProtocols.UDP == l4Protocol && 0 == checksum)
        {
            checksum = 0xFFFF;
        }
        putU16(segment, checksumOffset, checksum);
        return segment;
    }

    private byte[] pad(final byte[] frame)
    {
        if (paddedLength <= frame.length)
        {
            return frame;
        }
        final byte[] padded = Arrays.copyOf(frame, paddedLength);
        Arrays.fill(padded, frame.length, paddedLength, (byte)PADDING_BYTE);
        return padded;
    }

    private static byte[] payloadBytes(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)i;
        }
        return bytes;
    }

    private static byte[] concat(final byte[] first, final byte[] second)
    {
        final byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    static int checksum(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial + sumWords(bytes, offset, length);
        while (0 != (sum >>> 16))
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    private static long sumWords(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        int i = offset;
        final int end = offset + length;
        for (; i + 1 < end; i += 2)
        {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        if (i < end)
        {
            sum += (bytes[i] & 0xFF) << 8;
        }
        return sum;
    }

    static int u16(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    static void putU16(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)(value >>> 8);
        bytes[offset + 1] = (byte)value;
    }
}
