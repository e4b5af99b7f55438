package io.sluice.xsk.xdp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix, held as a 128-bit address: IPv4 is IPv4-mapped ({@code ::ffff:a.b.c.d}), so one trie
 * serves both families and an IPv4 rule can never match IPv6 traffic. {@link #ANY} matches both families.
 */
public final class Prefix
{
    /**
     * Every address of both families ({@code ::/0}).
     */
    public static final Prefix ANY = new Prefix(new byte[16], 0, false);

    private static final int V4_MAPPED_BITS = 96;

    private final byte[] address;
    private final int length;
    private final boolean ipv4;

    private Prefix(final byte[] address, final int length, final boolean ipv4)
    {
        this.address = address;
        this.length = length;
        this.ipv4 = ipv4;
    }

    /**
     * Parse {@code a.b.c.d/n}, {@code x::y/n}, a bare address (a host prefix) or {@code any}. Only literals are
     * accepted; nothing is looked up in DNS.
     *
     * @param text the prefix.
     * @return the prefix, with host bits cleared.
     * @throws IllegalArgumentException saying what is wrong.
     */
    public static Prefix parse(final String text)
    {
        final String trimmed = text.strip();
        if ("any".equalsIgnoreCase(trimmed) || "*".equals(trimmed))
        {
            return ANY;
        }

        final int slash = trimmed.indexOf('/');
        final String addressText = slash < 0 ? trimmed : trimmed.substring(0, slash);
        final InetAddress address;
        try
        {
            address = InetAddress.ofLiteral(addressText);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address: '" + addressText + "'");
        }

        final boolean ipv4 = address instanceof Inet4Address;
        final int maxBits = ipv4 ? 32 : 128;
        int bits = maxBits;
        if (slash >= 0)
        {
            try
            {
                bits = Integer.parseInt(trimmed.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                bits = -1;
            }
            if (bits < 0 || bits > maxBits)
            {
                throw new IllegalArgumentException(
                    "prefix length of '" + trimmed + "' must be 0.." + maxBits);
            }
        }

        final byte[] mapped = new byte[16];
        final byte[] raw = address.getAddress();
        if (ipv4)
        {
            mapped[10] = (byte)0xFF;
            mapped[11] = (byte)0xFF;
            System.arraycopy(raw, 0, mapped, 12, 4);
        }
        else
        {
            System.arraycopy(raw, 0, mapped, 0, 16);
        }

        final int length = ipv4 ? V4_MAPPED_BITS + bits : bits;
        clearHostBits(mapped, length);

        return new Prefix(mapped, length, ipv4);
    }

    /**
     * @return the 16-byte address in network order (a copy).
     */
    public byte[] address()
    {
        return address.clone();
    }

    /**
     * @return prefix length in the 128-bit space (an IPv4 /24 is 120).
     */
    public int mappedLength()
    {
        return length;
    }

    /**
     * @return true for an IPv4 prefix, false for IPv6 and {@link #ANY}.
     */
    public boolean isIpv4()
    {
        return ipv4;
    }

    /**
     * @return true for an IPv6 prefix, false for IPv4 and {@link #ANY}.
     */
    public boolean isIpv6()
    {
        return !ipv4 && this != ANY && length > 0;
    }

    /**
     * Whether every address of {@code other} is in this prefix.
     *
     * @param other prefix to test.
     * @return true if this prefix is {@code other} or shorter and agrees on its first bits.
     */
    public boolean covers(final Prefix other)
    {
        if (length > other.length)
        {
            return false;
        }
        final int fullBytes = length / 8;
        for (int i = 0; i < fullBytes; i++)
        {
            if (address[i] != other.address[i])
            {
                return false;
            }
        }
        final int remainingBits = length % 8;
        if (0 != remainingBits)
        {
            final int mask = 0xFF << (8 - remainingBits) & 0xFF;
            return (address[fullBytes] & mask) == (other.address[fullBytes] & mask);
        }

        return true;
    }

    public boolean equals(final Object o)
    {
        return o instanceof Prefix that && length == that.length && Arrays.equals(address, that.address);
    }

    public int hashCode()
    {
        return 31 * Arrays.hashCode(address) + length;
    }

    /**
     * @return e.g. {@code 10.0.0.0/8}, or IPv6 in RFC 5952's canonical text ({@code 2001:db8::/32}), or
     * {@code any}.
     */
    public String toString()
    {
        if (0 == length)
        {
            return "any";
        }
        if (ipv4)
        {
            return (address[12] & 0xFF) + "." + (address[13] & 0xFF) + "." + (address[14] & 0xFF) + "." +
                (address[15] & 0xFF) + "/" + (length - V4_MAPPED_BITS);
        }

        return ipv6Text(address) + "/" + length;
    }

    /**
     * RFC 5952: lowercase hex without leading zeros, the longest run of two or more zero groups (the first of
     * equals) as {@code ::}.
     */
    private static String ipv6Text(final byte[] address)
    {
        final int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (address[2 * i] & 0xFF) << 8 | (address[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++)
        {
            int end = i;
            while (end < 8 && 0 == groups[end])
            {
                end++;
            }
            if (end - i > bestLength)
            {
                bestStart = i;
                bestLength = end - i;
            }
            i = Math.max(i, end);
        }
        final StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && ':' != text.charAt(text.length() - 1))
            {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }

        return text.toString();
    }

    /**
     * @param address      16 bytes, IPv4 as IPv4-mapped.
     * @param mappedLength prefix length in the 128-bit space (an IPv4 /24 is 120).
     * @return the prefix, host bits cleared.
     */
    public static Prefix fromMapped(final byte[] address, final int mappedLength)
    {
        final boolean ipv4 = mappedLength >= V4_MAPPED_BITS && isV4Mapped(address);
        final byte[] copy = address.clone();
        clearHostBits(copy, mappedLength);

        return 0 == mappedLength ? ANY : new Prefix(copy, mappedLength, ipv4);
    }

    private static boolean isV4Mapped(final byte[] address)
    {
        for (int i = 0; i < 10; i++)
        {
            if (0 != address[i])
            {
                return false;
            }
        }

        return (byte)0xFF == address[10] && (byte)0xFF == address[11];
    }

    private static void clearHostBits(final byte[] address, final int length)
    {
        for (int bit = length; bit < 128; bit++)
        {
            address[bit / 8] &= (byte)~(0x80 >>> (bit % 8));
        }
    }
}
