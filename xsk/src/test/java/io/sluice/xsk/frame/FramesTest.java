package io.sluice.xsk.frame;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FramesTest
{
    @Test
    void shouldPlaceMacsAndEtherType()
    {
        final byte[] frame = Frames.ethernet()
            .macs("aa:bb:cc:dd:ee:ff", "02:00:00:00:00:01")
            .ipv4("10.0.0.1", "10.0.0.2")
            .udp(1234, 53)
            .payload(4)
            .build();

        assertEquals(14 + 20 + 8 + 4, frame.length);
        assertArrayEquals(bytes(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff), Arrays.copyOfRange(frame, 0, 6));
        assertArrayEquals(bytes(0x02, 0, 0, 0, 0, 0x01), Arrays.copyOfRange(frame, 6, 12));
        assertEquals(0x0800, u16(frame, 12));
        assertEquals(0x45, frame[14] & 0xFF);
        assertEquals(64, frame[14 + 8] & 0xFF);
        assertEquals(17, frame[14 + 9] & 0xFF);
        assertArrayEquals(bytes(10, 0, 0, 1, 10, 0, 0, 2), Arrays.copyOfRange(frame, 26, 34));
        assertEquals(1234, u16(frame, 34));
        assertEquals(53, u16(frame, 36));
        assertEquals(12, u16(frame, 38));
        assertArrayEquals(bytes(0, 1, 2, 3), Arrays.copyOfRange(frame, 42, 46));
    }

    @Test
    void shouldUseDefaultMacs()
    {
        final byte[] frame = Frames.ethernet().etherType(0x88B5).build();

        assertArrayEquals(bytes(0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01), Arrays.copyOfRange(frame, 0, 12));
    }

    @Test
    void shouldPlaceVlanTpidsOuterFirst()
    {
        final byte[] frame = Frames.ethernet()
            .vlan(0x88a8, 100)
            .vlan(0x8100, 10)
            .ipv6("fd00::1", "fd00::2")
            .udp(1, 2)
            .build();

        assertEquals(0x88a8, u16(frame, 12));
        assertEquals(100, u16(frame, 14));
        assertEquals(0x8100, u16(frame, 16));
        assertEquals(10, u16(frame, 18));
        assertEquals(0x86DD, u16(frame, 20));
        assertEquals(22, Frames.l2HeaderLength(frame));
        assertEquals(22, Frames.l3Offset(frame));
        assertEquals(62, Frames.l4Offset(frame));
        assertEquals(62 + 8, frame.length);
    }

    @Test
    void shouldComputeOffsetsForSingleVlanIpv4()
    {
        final byte[] frame = Frames.ethernet().vlan(0x8100, 10).ipv4("10.0.0.1", "10.0.0.2").tcp(1234, 80).build();

        assertEquals(0x0800, u16(frame, 16));
        assertEquals(18, Frames.l3Offset(frame));
        assertEquals(38, Frames.l4Offset(frame));
        assertEquals(38 + 20, frame.length);
    }

    @Test
    void shouldComputeIhlWithOptions()
    {
        final byte[] frame = Frames.ethernet()
            .ipv4("10.0.0.1", "10.0.0.2")
            .ipv4Options(bytes(0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00))
            .udp(1234, 53)
            .payload(2)
            .build();

        assertEquals(0x47, frame[14] & 0xFF);
        assertEquals(28 + 8 + 2, u16(frame, 16));
        assertArrayEquals(bytes(0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00), Arrays.copyOfRange(frame, 34, 42));
        assertEquals(14 + 28, Frames.l4Offset(frame));
        assertEquals(1234, u16(frame, 42));
        assertEquals(0, checksum(frame, 14, 28));
    }

    @Test
    void shouldRejectBadIpv4Options()
    {
        final Frames frames = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2");

        assertThrows(IllegalArgumentException.class, () -> frames.ipv4Options(new byte[6]));
        assertThrows(IllegalArgumentException.class, () -> frames.ipv4Options(new byte[44]));
        frames.ipv4Options(new byte[40]);
        assertEquals(0x4F, frames.build()[14] & 0xFF);
    }

    @Test
    void shouldComputeIpv4HeaderChecksumThatVerifiesToZero()
    {
        final byte[] frame = Frames.ethernet().ipv4("192.168.1.10", "172.16.0.200").icmpEcho().payload(32).build();

        assertNotEquals(0, u16(frame, 24));
        assertEquals(0, checksum(frame, 14, 20));
        assertEquals(1, frame[23] & 0xFF);
        assertEquals(1, u16(frame, 18));
    }

    @Test
    void shouldComputeUdpChecksumOverIpv4()
    {
        final byte[] frame = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1234, 53).payload(13).build();
        final int l4 = Frames.l4Offset(frame);
        final int length = frame.length - l4;

        assertEquals(length, u16(frame, l4 + 4));
        assertEquals(0, checksum(frame, l4, length, pseudoSum(frame, 26, 4, 17, length)));
    }

    @Test
    void shouldComputeUdpChecksumOverIpv6()
    {
        final byte[] frame = Frames.ethernet().ipv6("fd00::1", "fd00::2").udp(1234, 53).payload(11).build();
        final int l4 = Frames.l4Offset(frame);
        final int length = frame.length - l4;

        assertEquals(54, l4);
        assertEquals(0x86DD, u16(frame, 12));
        assertEquals(0x60, frame[14] & 0xF0);
        assertEquals(length, u16(frame, 14 + 4));
        assertEquals(17, frame[14 + 6] & 0xFF);
        assertEquals(64, frame[14 + 7] & 0xFF);
        assertEquals(0xfd, frame[22] & 0xFF);
        assertEquals(0x01, frame[37] & 0xFF);
        assertEquals(0x02, frame[53] & 0xFF);
        assertEquals(length, u16(frame, l4 + 4));
        assertNotEquals(0, u16(frame, l4 + 6));
        assertEquals(0, checksum(frame, l4, length, pseudoSum(frame, 22, 16, 17, length)));
    }

    @Test
    void shouldComputeTcpChecksumOverIpv4()
    {
        final byte[] frame = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").tcp(1234, 80).payload(5).build();
        final int l4 = Frames.l4Offset(frame);
        final int length = frame.length - l4;

        assertEquals(20 + 5, length);
        assertEquals(6, frame[23] & 0xFF);
        assertEquals(0x50, frame[l4 + 12] & 0xFF);
        assertEquals(0x02, frame[l4 + 13] & 0xFF);
        assertEquals(0, checksum(frame, l4, length, pseudoSum(frame, 26, 4, 6, length)));
    }

    @Test
    void shouldComputeIcmpv6Checksum()
    {
        final byte[] frame = Frames.ethernet().ipv6("fd00::1", "fd00::2").icmpEcho().payload(8).build();
        final int l4 = Frames.l4Offset(frame);
        final int length = frame.length - l4;

        assertEquals(58, frame[20] & 0xFF);
        assertEquals(128, frame[l4] & 0xFF);
        assertEquals(0, checksum(frame, l4, length, pseudoSum(frame, 22, 16, 58, length)));
    }

    @Test
    void shouldSetIpv4FragmentOffsetAndMoreFragments()
    {
        final byte[] first = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).fragment(0, true).build();
        final byte[] last = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).fragment(1480, false).build();

        assertEquals(0x2000, u16(first, 20));
        assertEquals(34, Frames.l4Offset(first));
        assertEquals(0x00B9, u16(last, 20));
        assertEquals(0, checksum(last, 14, 20));
        assertThrows(IllegalArgumentException.class, () -> Frames.ethernet().fragment(12, true));
    }

    @Test
    void shouldOmitL4HeaderInNonFirstIpv4Fragment()
    {
        final byte[] frame = Frames.ethernet()
            .ipv4("10.0.0.1", "10.0.0.2")
            .udp(1234, 53)
            .fragment(8, true)
            .payload(16)
            .build();

        assertEquals(14 + 20 + 16, frame.length);
        assertEquals(0x2001, u16(frame, 20));
        assertEquals(17, frame[23] & 0xFF);
        assertEquals(36, u16(frame, 16));
        assertEquals(-1, Frames.l4Offset(frame));
        assertArrayEquals(payload(16), Arrays.copyOfRange(frame, 34, 50));
    }

    @Test
    void shouldInsertIpv6FragmentHeader()
    {
        final byte[] frame = Frames.ethernet()
            .ipv6("fd00::1", "fd00::2")
            .udp(1234, 53)
            .fragment(0, true)
            .payload(8)
            .build();

        assertEquals(44, frame[20] & 0xFF);
        assertEquals(8 + 8 + 8, u16(frame, 18));
        assertEquals(17, frame[54] & 0xFF);
        assertEquals(0, frame[55]);
        assertEquals(0x0001, u16(frame, 56));
        assertEquals(1, u16(frame, 58) << 16 | u16(frame, 60));
        assertEquals(62, Frames.l4Offset(frame));
        assertEquals(1234, u16(frame, 62));
    }

    @Test
    void shouldOmitL4HeaderInNonFirstIpv6Fragment()
    {
        final byte[] frame = Frames.ethernet()
            .ipv6("fd00::1", "fd00::2")
            .tcp(1234, 80)
            .fragment(16, false)
            .payload(10)
            .build();

        assertEquals(14 + 40 + 8 + 10, frame.length);
        assertEquals(8 + 10, u16(frame, 18));
        assertEquals(6, frame[54] & 0xFF);
        assertEquals(16, u16(frame, 56));
        assertEquals(-1, Frames.l4Offset(frame));
        assertArrayEquals(payload(10), Arrays.copyOfRange(frame, 62, 72));
    }

    @Test
    void shouldChainHopByHopBeforeFragment()
    {
        final byte[] frame = Frames.ethernet()
            .ipv6("fd00::1", "fd00::2")
            .ipv6HopByHop()
            .fragment(0, false)
            .udp(1234, 53)
            .build();

        assertEquals(0, frame[20] & 0xFF);
        assertArrayEquals(bytes(44, 0, 1, 4, 0, 0, 0, 0), Arrays.copyOfRange(frame, 54, 62));
        assertEquals(17, frame[62] & 0xFF);
        assertEquals(0, u16(frame, 64));
        assertEquals(16 + 8, u16(frame, 18));
        assertEquals(70, Frames.l4Offset(frame));
        final int length = frame.length - 70;
        assertEquals(0, checksum(frame, 70, length, pseudoSum(frame, 22, 16, 17, length)));
    }

    @Test
    void shouldChainHopByHopToL4()
    {
        final byte[] frame = Frames.ethernet().ipv6("fd00::1", "fd00::2").ipv6HopByHop().tcp(1, 2).build();

        assertEquals(0, frame[20] & 0xFF);
        assertEquals(6, frame[54] & 0xFF);
        assertEquals(62, Frames.l4Offset(frame));
        assertEquals(62 + 20, frame.length);
    }

    @Test
    void shouldBuildArpWithZeroPayload()
    {
        final byte[] frame = Frames.ethernet().etherType(0x0806).build();

        assertEquals(14 + 28, frame.length);
        assertEquals(0x0806, u16(frame, 12));
        assertEquals(14, Frames.l3Offset(frame));
        assertEquals(-1, Frames.l4Offset(frame));
    }

    @Test
    void shouldBuildRawProtocolWithoutL4Header()
    {
        final byte[] frame = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").protocol(47).payload(4).build();

        assertEquals(14 + 20 + 4, frame.length);
        assertEquals(47, frame[23] & 0xFF);
        assertEquals(-1, Frames.l4Offset(frame));
        assertArrayEquals(payload(4), Arrays.copyOfRange(frame, 34, 38));
    }

    @Test
    void shouldNotPadShortFrames()
    {
        assertEquals(14, Frames.ethernet().etherType(0x88B5).build().length);
        assertEquals(14 + 20 + 8, Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build().length);
    }

    @Test
    void shouldTruncateAtHeaderBoundary()
    {
        final byte[] frame = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(8).build();
        final byte[] cut = Frames.truncate(frame, Frames.l4Offset(frame) + 4);

        assertEquals(38, cut.length);
        assertArrayEquals(Arrays.copyOf(frame, 38), cut);
        assertThrows(IllegalArgumentException.class, () -> Frames.truncate(frame, frame.length + 1));
    }

    @Test
    void shouldRejectNonLiteralAddresses()
    {
        assertThrows(IllegalArgumentException.class, () -> Frames.ethernet().ipv4("localhost", "10.0.0.2"));
        assertThrows(IllegalArgumentException.class, () -> Frames.ethernet().ipv6("example.com", "fd00::2"));
        assertThrows(IllegalArgumentException.class, () -> Frames.ethernet().ipv6("10.0.0.1", "fd00::2"));
    }

    private static byte[] bytes(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return bytes;
    }

    private static byte[] payload(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)i;
        }
        return bytes;
    }

    private static int u16(final byte[] bytes, final int offset)
    {
        return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    }

    /** Sum of source and destination addresses (adjacent at addressOffset), protocol and length. */
    private static long pseudoSum(
        final byte[] frame, final int addressOffset, final int addressLength, final int protocol, final int length)
    {
        return sum(frame, addressOffset, addressLength * 2) + protocol + length;
    }

    private static int checksum(final byte[] bytes, final int offset, final int length)
    {
        return checksum(bytes, offset, length, 0);
    }

    /** Re-summing a correctly checksummed region yields 0. */
    private static int checksum(final byte[] bytes, final int offset, final int length, final long initial)
    {
        long sum = initial + sum(bytes, offset, length);
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    private static long sum(final byte[] bytes, final int offset, final int length)
    {
        long sum = 0;
        for (int i = 0; i < length; i++)
        {
            sum += (bytes[offset + i] & 0xFF) << ((i & 1) == 0 ? 8 : 0);
        }
        return sum;
    }
}
