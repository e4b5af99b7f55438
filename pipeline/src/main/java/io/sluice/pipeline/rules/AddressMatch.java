package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.xdp.Prefix;

/**
 * The address constraint of a {@link FilterRule}: an IPv4 or IPv6 prefix in the form {@link FrameEvent} carries
 * addresses, so the filter compares them without converting anything per frame.
 *
 * @param family     4 or 6, or 0 when the address is not constrained ({@link #ANY}).
 * @param prefixBits prefix length within its family: 0..32 or 0..128.
 * @param ipv4       IPv4 prefix, host order (as {@link FrameEvent#srcIpv4}), host bits clear; 0 unless family 4.
 * @param ipv6Hi     IPv6 prefix, first 8 bytes as a big-endian long (as {@link FrameEvent#srcIpv6Hi}); 0 unless
 *                   family 6.
 * @param ipv6Lo     IPv6 prefix, last 8 bytes as a big-endian long; 0 unless family 6.
 */
public record AddressMatch(int family, int prefixBits, int ipv4, long ipv6Hi, long ipv6Lo)
{
    /**
     * Every address of either family: no constraint.
     */
    public static final AddressMatch ANY = new AddressMatch(0, 0, 0, 0L, 0L);

    /**
     * The match for a parsed prefix. {@link Prefix#ANY} (the text {@code any}) is {@link #ANY}, while {@code ::/0}
     * and {@code 0.0.0.0/0} stay prefixes of length 0 that constrain the family.
     *
     * @param prefix as {@link Prefix#parse(String)} returns it.
     * @return the match.
     */
    public static AddressMatch of(final Prefix prefix)
    {
        if (Prefix.ANY == prefix)
        {
            return ANY;
        }
        final byte[] address = prefix.address();
        if (prefix.isIpv4())
        {
            return new AddressMatch(4, prefix.mappedLength() - 96, (int)bigEndian(address, 12, 4), 0L, 0L);
        }

        return new AddressMatch(6, prefix.mappedLength(), 0, bigEndian(address, 0, 8), bigEndian(address, 8, 8));
    }

    /**
     * @return true if no address is constrained.
     */
    public boolean isAny()
    {
        return 0 == family;
    }

    /**
     * @return mask of the network bits of an IPv4 prefix, host order; 0 unless family 4.
     */
    public int ipv4Mask()
    {
        return 4 != family || 0 == prefixBits ? 0 : -1 << (32 - prefixBits);
    }

    /**
     * @return mask of the network bits of an IPv6 prefix over its big-endian first 8 bytes; 0 unless family 6.
     */
    public long ipv6MaskHi()
    {
        return 6 != family || 0 == prefixBits ? 0L : prefixBits >= 64 ? -1L : -1L << (64 - prefixBits);
    }

    /**
     * @return mask of the network bits of an IPv6 prefix over its big-endian last 8 bytes; 0 unless family 6.
     */
    public long ipv6MaskLo()
    {
        return 6 != family || prefixBits <= 64 ? 0L : -1L << (128 - prefixBits);
    }

    /**
     * @return the prefix as the rules file spells it, {@code 10.1.0.0/16} or {@code 2001:db8::/32}, or {@code any}.
     */
    public String toString()
    {
        return 4 == family ? Names.ipv4Text(ipv4, prefixBits) :
            6 == family ? Names.ipv6Text(ipv6Hi, ipv6Lo, prefixBits) : "any";
    }

    private static long bigEndian(final byte[] bytes, final int offset, final int length)
    {
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }

        return value;
    }
}
