package io.sluice.pipeline.parse;

import io.sluice.xsk.counters.CounterDescriptor;

/**
 * Why a frame did not parse, as Aeron's {@code SystemCounterDescriptor}: the parser never throws, it stores the
 * reason's {@link #id()} in {@code FrameEvent.parseError} and the pipeline counts it under {@link #label()}.
 * {@link #NONE} (id 0) is a clean parse; every other reason names the first header found wanting, in the order
 * the parser walks them.
 * <p>
 * Not errors: non-IP EtherTypes, unknown L4 protocols, IPv4 and IPv6 later fragments, ESP and No Next Header, and
 * Ethernet padding after the IP datagram.
 */
public enum ParseError implements CounterDescriptor
{
    NONE(0, "none", "the frame parsed cleanly"),
    TRUNCATED_ETHERNET(1, "truncated_ethernet", "frame shorter than the 14 byte Ethernet header"),
    TRUNCATED_VLAN(2, "truncated_vlan", "a VLAN TPID with fewer than 4 bytes of tag after it"),
    VLAN_TOO_DEEP(3, "vlan_too_deep", "more than 2 VLAN tags"),
    TRUNCATED_IPV4(4, "truncated_ipv4", "EtherType IPv4 with fewer than 20 bytes after the Ethernet header"),
    IPV4_BAD_VERSION(5, "ipv4_bad_version", "EtherType IPv4 but the version field is not 4"),
    IPV4_BAD_IHL(6, "ipv4_bad_ihl", "IPv4 IHL below 5, or a header (with options) longer than the frame"),
    IPV4_BAD_TOTAL_LENGTH(
        7,
        "ipv4_bad_total_length",
        "IPv4 total length below the header length, or more bytes than the frame holds (truncated or jumbo-claimed)"),
    TRUNCATED_IPV6(8, "truncated_ipv6", "EtherType IPv6 with fewer than 40 bytes after the Ethernet header"),
    IPV6_BAD_VERSION(9, "ipv6_bad_version", "EtherType IPv6 but the version field is not 6"),
    IPV6_BAD_PAYLOAD_LENGTH(
        10,
        "ipv6_bad_payload_length",
        "IPv6 payload length more than the frame holds, or 0 with a Hop-by-Hop header (a jumbogram, unsupported)"),
    TRUNCATED_IPV6_EXTENSION(
        11,
        "truncated_ipv6_extension",
        "an IPv6 extension header running past the end of the payload"),
    IPV6_EXTENSION_CHAIN_TOO_LONG(
        12,
        "ipv6_extension_chain_too_long",
        "more IPv6 extension headers than the parser walks (PacketParser.MAX_EXTENSION_HEADERS)"),
    TRUNCATED_TCP(13, "truncated_tcp", "fewer than 20 bytes of IP payload for a TCP header"),
    TCP_BAD_DATA_OFFSET(
        14,
        "tcp_bad_data_offset",
        "TCP data offset below 5, or a header (with options) longer than the IP payload"),
    TRUNCATED_UDP(15, "truncated_udp", "fewer than 8 bytes of IP payload for a UDP header"),
    UDP_BAD_LENGTH(
        16,
        "udp_bad_length",
        "UDP length below 8, or (unfragmented) more bytes than the IP payload holds"),
    TRUNCATED_ICMP(17, "truncated_icmp", "fewer than 8 bytes of IPv4 payload for an ICMP header"),
    TRUNCATED_ICMPV6(18, "truncated_icmpv6", "fewer than 8 bytes of IPv6 payload for an ICMPv6 header"),
    FRAME_OUTSIDE_UMEM(
        19,
        "frame_outside_umem",
        "the descriptor's address and length do not lie inside the UMEM segment (a negative length included)"),
    HEADERS_SPLIT(
        20,
        "headers_split",
        "a multi-buffer packet whose headers run past its first buffer (Sluice reads headers in the first only)"),
    CHAIN_CUT(
        21,
        "chain_cut",
        "a multi-buffer packet whose chain of buffers was cut short: more than a packet may span, with no end");

    private static final ParseError[] BY_ID;

    static
    {
        final ParseError[] errors = values();
        BY_ID = new ParseError[errors.length];
        for (final ParseError error : errors)
        {
            if (error.id < 0 || error.id >= BY_ID.length || null != BY_ID[error.id])
            {
                throw new IllegalStateException("ParseError ids must be 0..n-1, each once: " + error);
            }
            BY_ID[error.id] = error;
        }
    }

    private final int id;
    private final String key;
    private final String description;

    ParseError(final int id, final String key, final String description)
    {
        this.id = id;
        this.key = key;
        this.description = description;
    }

    /**
     * @return the value stored in {@code FrameEvent.parseError} and the index of the reason's counter.
     */
    @Override
    public int id()
    {
        return id;
    }

    /**
     * @return the counter's name, snake_case, e.g. {@code truncated_ethernet}: its {@code reason} label.
     */
    @Override
    public String key()
    {
        return key;
    }

    /**
     * @return what the reason means, for people.
     */
    @Override
    public String description()
    {
        return description;
    }

    /**
     * @return false: the reasons break the pipeline's {@code parse_error} outcome down, they are not outcomes.
     */
    @Override
    public boolean isOutcome()
    {
        return false;
    }

    /**
     * @return how many reasons there are, {@link #NONE} included: ids run from 0 to {@code count() - 1}.
     */
    public static int count()
    {
        return BY_ID.length;
    }

    /**
     * Look a reason up by id without allocating.
     *
     * @param id a value of {@code FrameEvent.parseError}.
     * @return the reason with that id.
     * @throws IllegalArgumentException if no reason has that id.
     */
    public static ParseError get(final int id)
    {
        if (id < 0 || id >= BY_ID.length)
        {
            throw new IllegalArgumentException("no ParseError with id " + id);
        }
        return BY_ID[id];
    }
}
