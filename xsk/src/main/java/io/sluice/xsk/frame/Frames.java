package io.sluice.xsk.frame;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds raw Ethernet frames for tests, so the XDP program (via BPF_PROG_TEST_RUN) and the Java parser can be fed
 * exact, checksum-correct bytes without capture files or a packet library.
 * <p>
 * Lengths and checksums are computed at {@link #build()}, so calls may come in any order. Frames are never padded to
 * the 60 byte Ethernet minimum: tests depend on exact lengths. Fragments are not reassembled: a first fragment's L4
 * length and checksum cover only the bytes in that frame.
 * <pre>{@code
 * byte[] frame = Frames.ethernet().vlan(0x8100, 10).ipv4("10.0.0.1", "10.0.0.2").udp(1234, 53).payload(16).build();
 * }</pre>
 */
public final class Frames
{
    public static final int ETHERNET_HEADER_LENGTH = 14;
    public static final int VLAN_TAG_LENGTH = 4;
    public static final int IPV4_MIN_HEADER_LENGTH = 20;
    public static final int IPV6_HEADER_LENGTH = 40;
    public static final int IPV6_EXT_HEADER_LENGTH = 8;
    public static final int UDP_HEADER_LENGTH = 8;
    public static final int TCP_HEADER_LENGTH = 20;
    public static final int ICMP_ECHO_HEADER_LENGTH = 8;
    public static final int ARP_PAYLOAD_LENGTH = 28;

    private static final int MAX_VLAN_TAGS_PARSED = 2;
    private static final int MAX_IPV4_OPTIONS_LENGTH = 40;
    private static final int DEFAULT_TTL = 64;
    private static final int TCP_FLAG_SYN = 0x02;
    private static final int IPV4_FLAG_MF = 0x2000;

    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern MAC_OCTET = Pattern.compile("[0-9A-Fa-f]{1,2}");
    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private enum L3
    {
        NONE, IPV4, IPV6, RAW
    }

    private enum L4
    {
        NONE, UDP, TCP, ICMP_ECHO, RAW
    }

    private final byte[] dstMac = mac("02:00:00:00:00:02");
    private final byte[] srcMac = mac("02:00:00:00:00:01");
    private final List<int[]> vlanTags = new ArrayList<>();

    private L3 l3 = L3.NONE;
    private int rawEtherType;
    private byte[] srcIp;
    private byte[] dstIp;
    private byte[] ipv4Options = new byte[0];
    private boolean ipv6HopByHop;

    private boolean fragmented;
    private int fragmentOffsetBytes;
    private boolean moreFragments;

    private L4 l4 = L4.NONE;
    private int rawProtocol;
    private int srcPort;
    private int dstPort;

    private byte[] payload;

    private Frames()
    {
    }

    /**
     * @return a new builder with dst 02:00:00:00:00:02 and src 02:00:00:00:00:01.
     */
    public static Frames ethernet()
    {
        return new Frames();
    }

    public Frames macs(final String dst, final String src)
    {
        System.arraycopy(mac(dst), 0, dstMac, 0, 6);
        System.arraycopy(mac(src), 0, srcMac, 0, 6);
        return this;
    }

    /**
     * Add a VLAN tag (PCP and DEI zero). Tags are emitted in call order, so call the outer (S-tag) first for QinQ.
     */
    public Frames vlan(final int tpid, final int vid)
    {
        if (tpid < 0 || tpid > 0xFFFF)
        {
            throw new IllegalArgumentException("tpid out of range: " + tpid);
        }
        if (vid < 0 || vid > 0xFFF)
        {
            throw new IllegalArgumentException("vid out of range: " + vid);
        }
        vlanTags.add(new int[]{ tpid, vid });
        return this;
    }

    public Frames ipv4(final String src, final String dst)
    {
        l3 = L3.IPV4;
        srcIp = ipv4Address(src);
        dstIp = ipv4Address(dst);
        return this;
    }

    /**
     * Options are copied verbatim after the fixed header; the caller owns their validity so malformed options can be
     * tested too.
     */
    public Frames ipv4Options(final byte[] options)
    {
        if (options.length % 4 != 0 || options.length > MAX_IPV4_OPTIONS_LENGTH)
        {
            throw new IllegalArgumentException(
                "IPv4 options length must be a multiple of 4 and <= 40: " + options.length);
        }
        ipv4Options = options.clone();
        return this;
    }

    /**
     * IPv4: sets offset and MF in the header. IPv6: inserts a Fragment header (identification 1). A non-first fragment
     * (offset &gt; 0) carries the payload only, no L4 header, while still naming the L4 protocol.
     */
    public Frames fragment(final int offsetBytes, final boolean moreFragments)
    {
        if (offsetBytes < 0 || offsetBytes % 8 != 0 || offsetBytes / 8 > 0x1FFF)
        {
            throw new IllegalArgumentException("fragment offset must be a multiple of 8 in [0, 65528]: " + offsetBytes);
        }
        fragmented = true;
        fragmentOffsetBytes = offsetBytes;
        this.moreFragments = moreFragments;
        return this;
    }

    public Frames ipv6(final String src, final String dst)
    {
        l3 = L3.IPV6;
        srcIp = ipv6Address(src);
        dstIp = ipv6Address(dst);
        return this;
    }

    /**
     * Insert an 8 byte Hop-by-Hop header (one PadN option) straight after the fixed header, so parsers must walk the
     * extension chain.
     */
    public Frames ipv6HopByHop()
    {
        ipv6HopByHop = true;
        return this;
    }

    public Frames udp(final int srcPort, final int dstPort)
    {
        return ports(L4.UDP, srcPort, dstPort);
    }

    /**
     * A 20 byte header with only SYN set: the smallest TCP segment a parser must accept.
     */
    public Frames tcp(final int srcPort, final int dstPort)
    {
        return ports(L4.TCP, srcPort, dstPort);
    }

    /**
     * Echo request, ICMP for IPv4 or ICMPv6 (type 128) for IPv6, decided at build.
     */
    public Frames icmpEcho()
    {
        l4 = L4.ICMP_ECHO;
        return this;
    }

    /**
     * A raw IP protocol number with no L4 header built, for protocols the pipeline should pass through (GRE, ESP...).
     */
    public Frames protocol(final int ipProtocol)
    {
        if (ipProtocol < 0 || ipProtocol > 0xFF)
        {
            throw new IllegalArgumentException("ip protocol out of range: " + ipProtocol);
        }
        l4 = L4.RAW;
        rawProtocol = ipProtocol;
        return this;
    }

    /**
     * A non-IP frame: the ethertype followed by the payload only. ARP without a payload gets 28 zero bytes.
     */
    public Frames etherType(final int type)
    {
        if (type < 0 || type > 0xFFFF)
        {
            throw new IllegalArgumentException("ethertype out of range: " + type);
        }
        l3 = L3.RAW;
        rawEtherType = type;
        return this;
    }

    public Frames payload(final byte[] bytes)
    {
        payload = bytes.clone();
        return this;
    }

    /**
     * @param length of a payload holding bytes {@code (byte)0 .. (byte)(length - 1)}, easy to recognise in a dump.
     */
    public Frames payload(final int length)
    {
        if (length < 0)
        {
            throw new IllegalArgumentException("payload length must be >= 0: " + length);
        }
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)i;
        }
        payload = bytes;
        return this;
    }

    public byte[] build()
    {
        if (l3 == L3.NONE)
        {
            throw new IllegalStateException("no L3: call ipv4(), ipv6() or etherType()");
        }
        if (l3 != L3.IPV4 && ipv4Options.length > 0)
        {
            throw new IllegalStateException("ipv4Options() needs ipv4()");
        }
        if (l3 != L3.IPV6 && ipv6HopByHop)
        {
            throw new IllegalStateException("ipv6HopByHop() needs ipv6()");
        }
        if (l3 == L3.RAW && (l4 != L4.NONE || fragmented))
        {
            throw new IllegalStateException("etherType() frames carry no IP: drop udp/tcp/icmp/protocol/fragment");
        }

        final int l2Length = ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * vlanTags.size();
        final ByteBuffer l2 = ByteBuffer.allocate(l2Length).order(ByteOrder.BIG_ENDIAN);
        l2.put(dstMac).put(srcMac);
        for (final int[] tag : vlanTags)
        {
            l2.putShort((short)tag[0]).putShort((short)tag[1]);
        }

        final byte[] l3AndAbove = switch (l3)
        {
            case IPV4 -> ipv4Packet();
            case IPV6 -> ipv6Packet();
            default -> payloadOrDefault(rawEtherType == EtherTypes.ARP ? ARP_PAYLOAD_LENGTH : 0);
        };
        final int etherType = switch (l3)
        {
            case IPV4 -> EtherTypes.IPV4;
            case IPV6 -> EtherTypes.IPV6;
            default -> rawEtherType;
        };
        l2.putShort((short)etherType);

        final byte[] frame = Arrays.copyOf(l2.array(), l2Length + l3AndAbove.length);
        System.arraycopy(l3AndAbove, 0, frame, l2Length, l3AndAbove.length);
        return frame;
    }

    /**
     * Cut a frame short, e.g. at a header boundary, to test bounds checks.
     */
    public static byte[] truncate(final byte[] frame, final int length)
    {
        if (length < 0 || length > frame.length)
        {
            throw new IllegalArgumentException("length must be in [0, " + frame.length + "]: " + length);
        }
        return Arrays.copyOf(frame, length);
    }

    /**
     * @return Ethernet header length including up to two VLAN tags (0x8100, 0x88a8, 0x9100) and the final ethertype.
     */
    public static int l2HeaderLength(final byte[] frame)
    {
        int offset = 12;
        int tags = 0;
        while (tags < MAX_VLAN_TAGS_PARSED && isVlanTpid(u16(frame, offset)))
        {
            offset += VLAN_TAG_LENGTH;
            tags++;
        }
        return offset + 2;
    }

    /**
     * @return offset of the L3 header, the same as {@link #l2HeaderLength(byte[])}.
     */
    public static int l3Offset(final byte[] frame)
    {
        return l2HeaderLength(frame);
    }

    /**
     * @return offset of the UDP, TCP, ICMP or ICMPv6 header, or -1 if none follows (non-IP, non-first fragment, raw
     * protocol). Walks IPv6 extension headers 0, 43, 44 and 60.
     */
    public static int l4Offset(final byte[] frame)
    {
        final int l3 = l3Offset(frame);
        final int etherType = u16(frame, l3 - 2);
        if (etherType == EtherTypes.IPV4)
        {
            final int headerLength = (frame[l3] & 0x0F) * 4;
            final int fragmentOffset = u16(frame, l3 + 6) & 0x1FFF;
            final int protocol = frame[l3 + 9] & 0xFF;
            return fragmentOffset == 0 && isL4(protocol) ? l3 + headerLength : -1;
        }
        if (etherType == EtherTypes.IPV6)
        {
            int offset = l3 + IPV6_HEADER_LENGTH;
            int next = frame[l3 + 6] & 0xFF;
            while (true)
            {
                if (next == IpProtocols.HOP_BY_HOP || next == IpProtocols.ROUTING || next == IpProtocols.DESTINATION_OPTIONS)
                {
                    final int length = ((frame[offset + 1] & 0xFF) + 1) * 8;
                    next = frame[offset] & 0xFF;
                    offset += length;
                }
                else if (next == IpProtocols.FRAGMENT)
                {
                    if ((u16(frame, offset + 2) & 0xFFF8) != 0)
                    {
                        return -1;
                    }
                    next = frame[offset] & 0xFF;
                    offset += IPV6_EXT_HEADER_LENGTH;
                }
                else
                {
                    return isL4(next) ? offset : -1;
                }
            }
        }
        return -1;
    }

    private Frames ports(final L4 type, final int srcPort, final int dstPort)
    {
        if (srcPort < 0 || srcPort > 0xFFFF || dstPort < 0 || dstPort > 0xFFFF)
        {
            throw new IllegalArgumentException("port out of range: " + srcPort + ", " + dstPort);
        }
        l4 = type;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    private byte[] ipv4Packet()
    {
        final int protocol = l4Protocol(IpProtocols.ICMP, IpProtocols.EXPERIMENTAL);
        final byte[] l4Bytes = l4Segment(protocol);
        final int headerLength = IPV4_MIN_HEADER_LENGTH + ipv4Options.length;
        final int totalLength = headerLength + l4Bytes.length;

        final ByteBuffer buffer = ByteBuffer.allocate(totalLength).order(ByteOrder.BIG_ENDIAN);
        buffer.put((byte)(0x40 | (headerLength / 4)));
        buffer.put((byte)0);
        buffer.putShort((short)totalLength);
        buffer.putShort((short)1);
        final int flagsAndOffset = fragmented ? (moreFragments ? IPV4_FLAG_MF : 0) | (fragmentOffsetBytes / 8) : 0;
        buffer.putShort((short)flagsAndOffset);
        buffer.put((byte)DEFAULT_TTL);
        buffer.put((byte)protocol);
        buffer.putShort((short)0);
        buffer.put(srcIp).put(dstIp).put(ipv4Options).put(l4Bytes);

        final byte[] packet = buffer.array();
        putU16(packet, 10, checksum(packet, 0, headerLength, 0));
        return packet;
    }

    private byte[] ipv6Packet()
    {
        final int protocol = l4Protocol(IpProtocols.ICMPV6, IpProtocols.NO_NEXT_HEADER);
        final byte[] l4Bytes = l4Segment(protocol);
        final int extLength = (ipv6HopByHop ? IPV6_EXT_HEADER_LENGTH : 0) + (fragmented ? IPV6_EXT_HEADER_LENGTH : 0);
        final int payloadLength = extLength + l4Bytes.length;

        final ByteBuffer buffer = ByteBuffer.allocate(IPV6_HEADER_LENGTH + payloadLength).order(ByteOrder.BIG_ENDIAN);
        buffer.putInt(0x6000_0000);
        buffer.putShort((short)payloadLength);
        final int afterFixed = ipv6HopByHop ? IpProtocols.HOP_BY_HOP : fragmented ? IpProtocols.FRAGMENT : protocol;
        buffer.put((byte)afterFixed);
        buffer.put((byte)DEFAULT_TTL);
        buffer.put(srcIp).put(dstIp);
        if (ipv6HopByHop)
        {
            buffer.put((byte)(fragmented ? IpProtocols.FRAGMENT : protocol));
            buffer.put((byte)0);
            buffer.put((byte)1).put((byte)4).putInt(0); // PadN covering the remaining 6 bytes
        }
        if (fragmented)
        {
            buffer.put((byte)protocol);
            buffer.put((byte)0);
            buffer.putShort((short)(fragmentOffsetBytes | (moreFragments ? 1 : 0)));
            buffer.putInt(1);
        }
        buffer.put(l4Bytes);
        return buffer.array();
    }

    private int l4Protocol(final int icmpProtocol, final int noneProtocol)
    {
        return switch (l4)
        {
            case UDP -> IpProtocols.UDP;
            case TCP -> IpProtocols.TCP;
            case ICMP_ECHO -> icmpProtocol;
            case RAW -> rawProtocol;
            case NONE -> noneProtocol;
        };
    }

    private byte[] l4Segment(final int protocol)
    {
        final byte[] data = payloadOrDefault(0);
        final boolean emitHeader = !(fragmented && fragmentOffsetBytes > 0);
        if (!emitHeader || l4 == L4.RAW || l4 == L4.NONE)
        {
            return data;
        }

        final int headerLength = switch (l4)
        {
            case UDP -> UDP_HEADER_LENGTH;
            case TCP -> TCP_HEADER_LENGTH;
            default -> ICMP_ECHO_HEADER_LENGTH;
        };
        final ByteBuffer buffer = ByteBuffer.allocate(headerLength + data.length).order(ByteOrder.BIG_ENDIAN);
        final int checksumOffset;
        switch (l4)
        {
            case UDP ->
            {
                buffer.putShort((short)srcPort).putShort((short)dstPort);
                buffer.putShort((short)(headerLength + data.length)).putShort((short)0);
                checksumOffset = 6;
            }
            case TCP ->
            {
                buffer.putShort((short)srcPort).putShort((short)dstPort);
                buffer.putInt(0).putInt(0);
                buffer.put((byte)(5 << 4)).put((byte)TCP_FLAG_SYN).putShort((short)0xFFFF);
                buffer.putShort((short)0).putShort((short)0);
                checksumOffset = 16;
            }
            default ->
            {
                buffer.put((byte)(l3 == L3.IPV4 ? 8 : 128)).put((byte)0).putShort((short)0);
                buffer.putShort((short)1).putShort((short)1);
                checksumOffset = 2;
            }
        }
        buffer.put(data);

        final byte[] segment = buffer.array();
        final boolean pseudoHeader = !(l4 == L4.ICMP_ECHO && l3 == L3.IPV4);
        final long initial = pseudoHeader ? pseudoHeaderSum(protocol, segment.length) : 0;
        int sum = checksum(segment, 0, segment.length, initial);
        if (l4 == L4.UDP && sum == 0)
        {
            sum = 0xFFFF; // zero means "no checksum" for UDP
        }
        putU16(segment, checksumOffset, sum);
        return segment;
    }

    private long pseudoHeaderSum(final int protocol, final int length)
    {
        long sum = sumWords(srcIp, 0, srcIp.length) + sumWords(dstIp, 0, dstIp.length);
        sum += protocol;
        sum += (length >>> 16) + (length & 0xFFFF);
        return sum;
    }

    private byte[] payloadOrDefault(final int defaultLength)
    {
        return payload != null ? payload : new byte[defaultLength];
    }

    private static int checksum(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial + sumWords(bytes, offset, length);
        while ((sum >>> 16) != 0)
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

    private static boolean isVlanTpid(final int type)
    {
        return type == EtherTypes.VLAN || type == EtherTypes.QINQ || type == EtherTypes.VLAN_9100;
    }

    private static boolean isL4(final int protocol)
    {
        return protocol == IpProtocols.UDP || protocol == IpProtocols.TCP || protocol == IpProtocols.ICMP || protocol == IpProtocols.ICMPV6;
    }

    private static int u16(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    private static void putU16(final byte[] bytes, final int offset, final int value)
    {
        bytes[offset] = (byte)(value >>> 8);
        bytes[offset + 1] = (byte)value;
    }

    /**
     * @param text a MAC address as {@code ip link} prints it, e.g. {@code 52:54:00:5c:00:01}.
     * @return its six bytes.
     * @throws IllegalArgumentException if it is not one.
     */
    public static byte[] mac(final String text)
    {
        final String[] parts = text.split(":");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("bad MAC: " + text);
        }
        final byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            if (!MAC_OCTET.matcher(parts[i]).matches())
            {
                throw new IllegalArgumentException("bad MAC: " + text);
            }
            mac[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return mac;
    }

    private static byte[] ipv4Address(final String literal)
    {
        if (!IPV4_LITERAL.matcher(literal).matches())
        {
            throw new IllegalArgumentException("not an IPv4 literal: " + literal);
        }
        final byte[] address = literal(literal).getAddress();
        if (address.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 literal: " + literal);
        }
        return address;
    }

    private static byte[] ipv6Address(final String literal)
    {
        if (!IPV6_LITERAL.matcher(literal).matches())
        {
            throw new IllegalArgumentException("not an IPv6 literal: " + literal);
        }
        final InetAddress address = literal(literal);
        if (address instanceof Inet4Address)
        {
            // the JDK folds ::ffff:a.b.c.d into an Inet4Address; rebuild the mapped form
            final byte[] mapped = new byte[16];
            mapped[10] = (byte)0xFF;
            mapped[11] = (byte)0xFF;
            System.arraycopy(address.getAddress(), 0, mapped, 12, 4);
            return mapped;
        }
        return address.getAddress();
    }

    private static InetAddress literal(final String literal)
    {
        try
        {
            return InetAddress.getByName(literal); // callers have checked it is a literal, so no DNS lookup
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("bad address literal: " + literal, ex);
        }
    }
}
