package io.sluice.xsk.xdp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrefixTest
{
    @Test
    void shouldParseIpv4PrefixAsMapped()
    {
        final Prefix prefix = Prefix.parse("192.0.2.0/24");

        final byte[] expected = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)0xFF, (byte)0xFF, (byte)192, 0, 2, 0 };
        assertArrayEquals(expected, prefix.address());
        assertEquals(120, prefix.mappedLength());
        assertTrue(prefix.isIpv4());
        assertFalse(prefix.isIpv6());
        assertEquals("192.0.2.0/24", prefix.toString());
    }

    @Test
    void shouldParseIpv6Prefix()
    {
        final Prefix prefix = Prefix.parse("2001:db8:bad::/48");

        final byte[] expected = { 0x20, 0x01, 0x0d, (byte)0xb8, 0x0b, (byte)0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        assertArrayEquals(expected, prefix.address());
        assertEquals(48, prefix.mappedLength());
        assertFalse(prefix.isIpv4());
        assertTrue(prefix.isIpv6());
    }

    @Test
    void shouldParseBareAddressesAsHostPrefixes()
    {
        final Prefix v4 = Prefix.parse("10.0.0.2");
        final Prefix v6 = Prefix.parse("fd00::2");

        assertEquals(128, v4.mappedLength());
        assertEquals(Prefix.parse("10.0.0.2/32"), v4);
        assertEquals("10.0.0.2/32", v4.toString());
        assertEquals(128, v6.mappedLength());
        assertEquals(Prefix.parse("fd00::2/128"), v6);
    }

    @Test
    void shouldParseAny()
    {
        assertSame(Prefix.ANY, Prefix.parse("any"));
        assertSame(Prefix.ANY, Prefix.parse("ANY"));
        assertSame(Prefix.ANY, Prefix.parse("*"));
        assertSame(Prefix.ANY, Prefix.parse("  any "));
        assertEquals(0, Prefix.ANY.mappedLength());
        assertFalse(Prefix.ANY.isIpv4());
        assertFalse(Prefix.ANY.isIpv6());
        assertEquals("any", Prefix.ANY.toString());
        assertArrayEquals(new byte[16], Prefix.ANY.address());
    }

    @Test
    void shouldClearHostBits()
    {
        final Prefix v4 = Prefix.parse("10.1.2.3/8");
        final Prefix v6 = Prefix.parse("2001:db8:abcd:1234::1/36");

        assertEquals("10.0.0.0/8", v4.toString());
        assertEquals(Prefix.parse("10.0.0.0/8"), v4);
        assertEquals(Prefix.parse("10.0.0.0/8").hashCode(), v4.hashCode());
        assertEquals(Prefix.parse("2001:db8:a000::/36"), v6);
        assertEquals("2001:db8:a000::/36", v6.toString());
    }

    @Test
    void shouldWriteIpv6AsRfc5952Says()
    {
        assertEquals("2001:db8:0:1::1/128", Prefix.parse("2001:0DB8:0000:0001:0:0:0:1").toString());
        assertEquals("2001:0:0:1::1/128", Prefix.parse("2001:0:0:1:0:0:0:1").toString(), "the longest run");
        assertEquals("2001:db8::1:0:0:1/128", Prefix.parse("2001:db8:0:0:1:0:0:1").toString(), "the first of equals");
        assertEquals("2001:db8:0:1:1:1:1:1/128", Prefix.parse("2001:db8:0:1:1:1:1:1").toString(), "one zero group stays");
        assertEquals("::1/128", Prefix.parse("::1").toString());
        assertEquals("fe80::/10", Prefix.parse("fe80::/10").toString());
        assertEquals("1::/16", Prefix.parse("1::/16").toString());
        assertEquals("1:2:3:4:5:6:7:8/128", Prefix.parse("1:2:3:4:5:6:7:8").toString());
    }

    @Test
    void shouldGiveMappedLengths()
    {
        assertEquals(96, Prefix.parse("0.0.0.0/0").mappedLength());
        assertEquals(104, Prefix.parse("10.0.0.0/8").mappedLength());
        assertEquals(120, Prefix.parse("192.0.2.0/24").mappedLength());
        assertEquals(128, Prefix.parse("192.0.2.1/32").mappedLength());
        assertEquals(0, Prefix.parse("::/0").mappedLength());
        assertEquals(64, Prefix.parse("fd00::/64").mappedLength());
    }

    @Test
    void shouldTellWhetherOnePrefixCoversAnother()
    {
        final Prefix ten = Prefix.parse("10.0.0.0/8");
        final Prefix tenOne = Prefix.parse("10.1.0.0/16");
        final Prefix eleven = Prefix.parse("11.0.0.0/8");
        final Prefix allV4 = Prefix.parse("0.0.0.0/0");
        final Prefix v6 = Prefix.parse("fd00::/8");

        assertTrue(ten.covers(tenOne));
        assertTrue(ten.covers(ten));
        assertFalse(tenOne.covers(ten));
        assertFalse(ten.covers(eleven));
        assertTrue(allV4.covers(ten));
        assertFalse(allV4.covers(v6));
        assertFalse(v6.covers(ten));
        assertTrue(Prefix.ANY.covers(ten));
        assertTrue(Prefix.ANY.covers(v6));
        assertFalse(ten.covers(Prefix.ANY));
        assertTrue(Prefix.parse("10.0.0.0/9").covers(Prefix.parse("10.127.255.255")));
        assertFalse(Prefix.parse("10.0.0.0/9").covers(Prefix.parse("10.128.0.0")));
        assertTrue(Prefix.parse("fd00::/7").covers(Prefix.parse("fc00::1")));
        assertFalse(Prefix.parse("fd00::/8").covers(Prefix.parse("fc00::1")));
    }

    @Test
    void shouldRejectNonLiteralsNamingTheInput()
    {
        final IllegalArgumentException host = assertThrows(
            IllegalArgumentException.class, () -> Prefix.parse("example.com"));
        assertTrue(host.getMessage().contains("example.com"), host.getMessage());

        final IllegalArgumentException hostWithLength = assertThrows(
            IllegalArgumentException.class, () -> Prefix.parse("example.com/24"));
        assertTrue(hostWithLength.getMessage().contains("example.com"), hostWithLength.getMessage());

        final IllegalArgumentException garbage = assertThrows(
            IllegalArgumentException.class, () -> Prefix.parse("10.0.0.256"));
        assertTrue(garbage.getMessage().contains("10.0.0.256"), garbage.getMessage());
    }

    @Test
    void shouldRejectPrefixLengthsBeyondTheFamily()
    {
        final IllegalArgumentException v4 = assertThrows(
            IllegalArgumentException.class, () -> Prefix.parse("10.0.0.0/33"));
        assertTrue(v4.getMessage().contains("10.0.0.0/33"), v4.getMessage());
        assertTrue(v4.getMessage().contains("32"), v4.getMessage());

        final IllegalArgumentException v6 = assertThrows(
            IllegalArgumentException.class, () -> Prefix.parse("fd00::/129"));
        assertTrue(v6.getMessage().contains("fd00::/129"), v6.getMessage());
        assertTrue(v6.getMessage().contains("128"), v6.getMessage());

        assertThrows(IllegalArgumentException.class, () -> Prefix.parse("10.0.0.0/-1"));
        assertThrows(IllegalArgumentException.class, () -> Prefix.parse("10.0.0.0/"));
        assertThrows(IllegalArgumentException.class, () -> Prefix.parse("10.0.0.0/x"));
    }

    @Test
    void shouldRoundTripThroughToString()
    {
        final String[] texts = {
            "10.0.0.0/8", "192.0.2.0/24", "198.51.100.7/32", "0.0.0.0/0", "2001:db8:bad::/48", "fd00::2/128",
            "fe80::/10", "any" };
        for (final String text : texts)
        {
            final Prefix prefix = Prefix.parse(text);
            final Prefix again = Prefix.parse(prefix.toString());
            assertEquals(prefix, again, text);
            assertEquals(prefix.toString(), again.toString(), text);
            assertEquals(prefix.isIpv4(), again.isIpv4(), text);
        }
    }

    @Test
    void shouldRoundTripThroughTheMappedForm()
    {
        final String[] texts = { "10.0.0.0/8", "192.0.2.0/24", "2001:db8:bad::/48", "fd00::2/128", "any" };
        for (final String text : texts)
        {
            final Prefix prefix = Prefix.parse(text);
            final Prefix mapped = Prefix.fromMapped(prefix.address(), prefix.mappedLength());
            assertEquals(prefix, mapped, text);
            assertEquals(prefix.toString(), mapped.toString(), text);
            assertEquals(prefix.isIpv4(), mapped.isIpv4(), text);
        }
    }

    @Test
    void shouldDistinguishFamiliesAndLengths()
    {
        assertNotEquals(Prefix.parse("10.0.0.0/8"), Prefix.parse("10.0.0.0/16"));
        assertNotEquals(Prefix.parse("0.0.0.0/0"), Prefix.ANY);
        assertNotEquals(Prefix.parse("10.0.0.1"), Prefix.parse("::a00:1"));
    }

    @Test
    void shouldReturnACopyOfTheAddress()
    {
        final Prefix prefix = Prefix.parse("10.0.0.0/8");
        final byte[] address = prefix.address();
        address[12] = 11;

        assertEquals("10.0.0.0/8", prefix.toString());
    }
}
