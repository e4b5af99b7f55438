package io.sluice.pipeline.rules;

import io.sluice.xsk.xdp.Prefix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressMatchTest
{
    @Test
    void shouldMatchAnyAddressOnlyForTheWordAnyNotForAZeroLengthPrefix()
    {
        assertSame(AddressMatch.ANY, AddressMatch.of(Prefix.parse("any")));
        assertTrue(AddressMatch.ANY.isAny());
        assertEquals("any", AddressMatch.ANY.toString());

        final AddressMatch everyIpv6 = AddressMatch.of(Prefix.parse("::/0"));
        assertFalse(everyIpv6.isAny());
        assertEquals(new AddressMatch(6, 0, 0, 0L, 0L), everyIpv6);
        assertEquals(0L, everyIpv6.ipv6MaskHi());
        assertEquals(0L, everyIpv6.ipv6MaskLo());
        assertEquals("::/0", everyIpv6.toString());

        final AddressMatch everyIpv4 = AddressMatch.of(Prefix.parse("0.0.0.0/0"));
        assertEquals(new AddressMatch(4, 0, 0, 0L, 0L), everyIpv4);
        assertEquals(0, everyIpv4.ipv4Mask());
    }

    @Test
    void shouldHoldAnIpv4PrefixInHostOrderWithItsMask()
    {
        final AddressMatch net = AddressMatch.of(Prefix.parse("10.1.0.0/16"));
        assertEquals(4, net.family());
        assertEquals(16, net.prefixBits());
        assertEquals(0x0A010000, net.ipv4());
        assertEquals(0xFFFF0000, net.ipv4Mask());
        assertEquals(0L, net.ipv6MaskHi());
        assertEquals(0L, net.ipv6MaskLo());
        assertEquals("10.1.0.0/16", net.toString());

        final AddressMatch host = AddressMatch.of(Prefix.parse("192.0.2.7"));
        assertEquals(32, host.prefixBits());
        assertEquals(0xC0000207, host.ipv4());
        assertEquals(-1, host.ipv4Mask());
    }

    @Test
    void shouldSplitAnIpv6PrefixAndItsMaskIntoTwoBigEndianHalves()
    {
        final AddressMatch short32 = AddressMatch.of(Prefix.parse("2001:db8::/32"));
        assertEquals(6, short32.family());
        assertEquals(0x20010db800000000L, short32.ipv6Hi());
        assertEquals(0L, short32.ipv6Lo());
        assertEquals(0xFFFFFFFF00000000L, short32.ipv6MaskHi());
        assertEquals(0L, short32.ipv6MaskLo());
        assertEquals(0, short32.ipv4Mask());

        final AddressMatch half = AddressMatch.of(Prefix.parse("2001:db8:0:80::/64"));
        assertEquals(-1L, half.ipv6MaskHi());
        assertEquals(0L, half.ipv6MaskLo());

        final AddressMatch long72 = AddressMatch.of(Prefix.parse("2001:db8::ff00:0:0:0/72"));
        assertEquals(-1L, long72.ipv6MaskHi());
        assertEquals(0xFF00000000000000L, long72.ipv6MaskLo());
        assertEquals(0xFF00000000000000L, long72.ipv6Lo());

        final AddressMatch host = AddressMatch.of(Prefix.parse("fd00::7"));
        assertEquals(128, host.prefixBits());
        assertEquals(0xfd00000000000000L, host.ipv6Hi());
        assertEquals(7L, host.ipv6Lo());
        assertEquals(-1L, host.ipv6MaskLo());
        assertEquals("fd00::7/128", host.toString());
    }
}
