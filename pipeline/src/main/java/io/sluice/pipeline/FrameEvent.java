package io.sluice.pipeline;

/**
 * One slot of the pipeline's Disruptor ring: a received frame's descriptor, what the parser found in it, and what
 * the filter decided. Preallocated once; every field is a primitive and is rewritten for each frame, so the hot path
 * allocates nothing. The frame's bytes stay in the UMEM and are read in place.
 * <p>
 * Written in order by the receiver (descriptor), the parser (headers), the filter and actor (decision), and read by
 * the transmitter; the Disruptor's sequences order those hand-offs.
 */
public final class FrameEvent
{
    /**
     * A field the frame does not carry: no VLAN tag, no L4 header, no port.
     */
    public static final int ABSENT = -1;

    /**
     * {@link #generation} of a frame whose metadata carried no stamp: it is judged by the newest rules.
     */
    public static final long UNSTAMPED = -1;

    /**
     * {@link #ipFlags}: the datagram is a fragment (first or later).
     */
    public static final int IP_FRAGMENT = 1;
    /**
     * {@link #ipFlags}: a fragment after the first; it carries no L4 header, so L4 fields are absent.
     */
    public static final int IP_LATER_FRAGMENT = 2;
    /**
     * {@link #ipFlags}: IPv4 options present (IHL above 5).
     */
    public static final int IP_OPTIONS = 4;
    /**
     * {@link #ipFlags}: IPv6 extension headers were walked to reach the L4 header.
     */
    public static final int IP_EXTENSION_HEADERS = 8;

    // ---------------------------------------------------------------- descriptor, from the receiver

    /**
     * UMEM address of the frame's first byte (the offset into the UMEM segment); of its first buffer when the
     * packet spans several.
     */
    public long address;
    /**
     * Length in bytes of the frame's first buffer, as its RX descriptor gave it: the whole frame unless
     * {@link #buffers} is above 1. Every header is read within it.
     */
    public int length;
    /**
     * UMEM frames the packet spans: 1, or more for a multi-buffer packet (a jumbo frame), whose buffers are
     * {@link #bufferAddresses} and {@link #bufferLengths} from index 0 (the first is {@link #address}).
     */
    public int buffers = 1;
    /**
     * Bytes in all of a multi-buffer packet's buffers; see {@link #packetLength()}.
     */
    public int totalLength;
    /**
     * The packet's chain of buffers was cut short (more than a packet may span, without an end): it is dropped as
     * {@code ParseError.CHAIN_CUT} and its frames recycled.
     */
    public boolean chainCut;
    /**
     * A multi-buffer packet's buffers, in order; preallocated to the most a packet may span.
     */
    public final long[] bufferAddresses;
    /**
     * Their lengths.
     */
    public final int[] bufferLengths;
    /**
     * Index of the socket (interface and queue) the frame arrived on, in the pipeline's port table.
     */
    public int port;
    /**
     * RX queue the frame arrived on.
     */
    public int queue;
    /**
     * {@code System.nanoTime()} (CLOCK_MONOTONIC) when the receiver read the frame's batch.
     */
    public long rxTimestampNs;
    /**
     * Generation of the XDP rules that steered the frame, from its metadata (0 to 2<sup>32</sup>-1), or
     * {@link #UNSTAMPED} when it carried none: the handler judges it by the filter of the same generation.
     */
    public long generation;

    // ---------------------------------------------------------------- headers, from the parser

    /**
     * {@code ParseError} id; 0 when the frame parsed cleanly.
     */
    public int parseError;
    /**
     * VLAN tags seen, 0..2.
     */
    public int vlanCount;
    /**
     * VLAN id (12 bits) of the outer tag, or {@link #ABSENT}.
     */
    public int outerVlanId;
    /**
     * VLAN id of the inner tag (QinQ), or {@link #ABSENT}.
     */
    public int innerVlanId;
    /**
     * EtherType after any VLAN tags.
     */
    public int etherType;
    /**
     * Offset of the L3 header from the frame's first byte, or {@link #ABSENT}.
     */
    public int l3Offset;
    /**
     * 4, 6, or 0 for a frame that is not IP.
     */
    public int ipVersion;
    /**
     * Offset just past the IP datagram (its total length; Ethernet padding excluded), or {@link #ABSENT}.
     */
    public int ipEnd;
    /**
     * L4 protocol number (after IPv6 extension headers), or {@link #ABSENT} when not IP.
     */
    public int ipProtocol;
    /**
     * IPv4 TTL or IPv6 hop limit.
     */
    public int ttl;
    /**
     * {@link #IP_FRAGMENT}, {@link #IP_LATER_FRAGMENT}, {@link #IP_OPTIONS}, {@link #IP_EXTENSION_HEADERS}.
     */
    public int ipFlags;
    /**
     * IPv4 source address, host order.
     */
    public int srcIpv4;
    /**
     * IPv4 destination address, host order.
     */
    public int dstIpv4;
    /**
     * IPv6 source address, first 8 bytes as a big-endian long.
     */
    public long srcIpv6Hi;
    /**
     * IPv6 source address, last 8 bytes as a big-endian long.
     */
    public long srcIpv6Lo;
    /**
     * IPv6 destination address, first 8 bytes.
     */
    public long dstIpv6Hi;
    /**
     * IPv6 destination address, last 8 bytes.
     */
    public long dstIpv6Lo;
    /**
     * Offset of the L4 header from the frame's first byte, or {@link #ABSENT}.
     */
    public int l4Offset;
    /**
     * TCP or UDP source port, or {@link #ABSENT}.
     */
    public int srcPort;
    /**
     * TCP or UDP destination port, or {@link #ABSENT}.
     */
    public int dstPort;
    /**
     * TCP flags byte (FIN 0x01 .. CWR 0x80), or {@link #ABSENT}.
     */
    public int tcpFlags;
    /**
     * ICMP or ICMPv6 type, or {@link #ABSENT}.
     */
    public int icmpType;
    /**
     * ICMP or ICMPv6 code, or {@link #ABSENT}.
     */
    public int icmpCode;
    /**
     * Offset of the L4 payload from the frame's first byte, or {@link #ABSENT}.
     */
    public int payloadOffset;

    // ---------------------------------------------------------------- decision, from the filter and actor

    /**
     * Index of the filter rule that matched, or {@link #ABSENT} when the default action applied.
     */
    public int rule;
    /**
     * {@code Action} id the filter chose.
     */
    public int action;
    /**
     * Port (socket) to transmit on for reflect and forward, or {@link #ABSENT}.
     */
    public int egressPort;
    /**
     * Generation of the rules whose filter judged the frame (its {@link #rule} indexes those rules).
     */
    public long judgedBy;

    /**
     * An event for single-buffer frames only.
     */
    public FrameEvent()
    {
        this(1);
    }

    /**
     * @param maxBuffers the most buffers a packet may span, preallocated so that no packet allocates.
     */
    public FrameEvent(final int maxBuffers)
    {
        bufferAddresses = new long[maxBuffers];
        bufferLengths = new int[maxBuffers];
    }

    /**
     * @return the whole packet's length: {@link #length} for a single buffer, the sum of its buffers' otherwise.
     */
    public int packetLength()
    {
        return 1 == buffers ? length : totalLength;
    }

    /**
     * Reset the parse and decision fields to "nothing found", before parsing a new frame.
     */
    public void clearParse()
    {
        parseError = 0;
        vlanCount = 0;
        outerVlanId = ABSENT;
        innerVlanId = ABSENT;
        etherType = ABSENT;
        l3Offset = ABSENT;
        ipVersion = 0;
        ipEnd = ABSENT;
        ipProtocol = ABSENT;
        ttl = ABSENT;
        ipFlags = 0;
        srcIpv4 = 0;
        dstIpv4 = 0;
        srcIpv6Hi = 0;
        srcIpv6Lo = 0;
        dstIpv6Hi = 0;
        dstIpv6Lo = 0;
        l4Offset = ABSENT;
        srcPort = ABSENT;
        dstPort = ABSENT;
        tcpFlags = ABSENT;
        icmpType = ABSENT;
        icmpCode = ABSENT;
        payloadOffset = ABSENT;
        rule = ABSENT;
        action = 0;
        egressPort = ABSENT;
    }
}
