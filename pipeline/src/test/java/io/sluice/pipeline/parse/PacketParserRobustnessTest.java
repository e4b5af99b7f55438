package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.FrameCrafter.Crafted;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random frames: pure noise, noise behind a plausible Ethernet and IP prefix, and well-formed frames with a
 * few bytes changed and a random length. Whatever the bytes, the parser must not throw, must not read outside the
 * frame (the {@link FrameHarness} catches both directions), and must report a known error with offsets that stay
 * inside the frame.
 */
class PacketParserRobustnessTest
{
    private static final long SEED = 0x5EED_F00DL;
    private static final int FRAMES = 200_000;
    private static final int MAX_LENGTH_BYTES = 1600;
    private static final int[] INTERESTING_ETHER_TYPES = {
        EtherTypes.IPV4, EtherTypes.IPV6, EtherTypes.VLAN,
        EtherTypes.QINQ, EtherTypes.ARP };
    private static final int[] INTERESTING_PROTOCOLS = {
        IpProtocols.TCP, IpProtocols.UDP, IpProtocols.ICMP, IpProtocols.ICMPV6, IpProtocols.HOP_BY_HOP,
        IpProtocols.ROUTING, IpProtocols.FRAGMENT, IpProtocols.AH, IpProtocols.DESTINATION_OPTIONS,
        IpProtocols.ESP, IpProtocols.NO_NEXT_HEADER };

    private final FrameHarness harness = new FrameHarness();

    @AfterEach
    void close()
    {
        harness.close();
    }

    @Test
    void shouldNeverThrowOrReadOutsideTheFrameWhateverTheBytes()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final List<Named<Crafted>> catalogue = FrameCatalogue.frames();
        final int[] seen = new int[ParseError.count()];
        final byte[] frame = new byte[MAX_LENGTH_BYTES];

        for (int i = 0; i < FRAMES; i++)
        {
            final int length = switch (i % 4)
            {
                case 0 -> noise(random, frame);
                case 1 -> plausiblePrefix(random, frame);
                default -> mutated(random, frame, catalogue.get(random.nextInt(catalogue.size())).getPayload());
            };

            final FrameEvent event;
            try
            {
                event = harness.parse(frame, length);
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("frame " + i + " of " + length + " bytes: " + hex(frame, length), ex);
            }
            seen[ParseError.get(event.parseError).id()]++;
            assertInvariants(event, length, i);
        }

        for (final ParseError error : ParseError.values())
        {
            // a single buffer cannot be outside the harness's segment, split its headers or be a cut chain: the
            // multi-buffer cases are PacketParserTest's
            if (ParseError.FRAME_OUTSIDE_UMEM != error && ParseError.HEADERS_SPLIT != error &&
                ParseError.CHAIN_CUT != error)
            {
                assertTrue(seen[error.id()] > 0, () -> "random frames never reached " + error);
            }
        }
    }

    private static int noise(final SplittableRandom random, final byte[] frame)
    {
        final int length = random.nextInt(MAX_LENGTH_BYTES + 1);
        random.nextBytes(frame);
        return length;
    }

    /**
     * Noise behind Ethernet with an interesting EtherType, perhaps tags, and an IP version nibble and protocol that
     * match it more often than not, so the deeper headers see noise too.
     */
    private static int plausiblePrefix(final SplittableRandom random, final byte[] frame)
    {
        final int length = random.nextInt(200);
        random.nextBytes(frame);
        int offset = 12;
        final int tags = random.nextInt(4);
        for (int tag = 0; tag < tags; tag++)
        {
            putU16(frame, offset, random.nextBoolean() ? EtherTypes.VLAN :
                EtherTypes.QINQ);
            offset += 4;
        }
        final int etherType = INTERESTING_ETHER_TYPES[random.nextInt(INTERESTING_ETHER_TYPES.length)];
        putU16(frame, offset, etherType);
        final int l3 = offset + 2;
        final int protocol = INTERESTING_PROTOCOLS[random.nextInt(INTERESTING_PROTOCOLS.length)];
        if (EtherTypes.IPV4 == etherType && random.nextInt(8) != 0)
        {
            frame[l3] = (byte)(0x40 | (frame[l3] & 0x0F));
            frame[l3 + 9] = (byte)protocol;
            if (random.nextBoolean())
            {
                frame[l3] = 0x45;
                frame[l3 + 6] = 0;
            }
            if (random.nextBoolean())
            {
                // near the header length, where the L4 header is cut by the datagram rather than the frame
                putU16(frame, l3 + 2, ((frame[l3] & 0x0F) << 2) + random.nextInt(48));
            }
        }
        else if (EtherTypes.IPV6 == etherType && random.nextInt(8) != 0)
        {
            frame[l3] = (byte)(0x60 | (frame[l3] & 0x0F));
            frame[l3 + 6] = (byte)protocol;
            if (random.nextBoolean())
            {
                putU16(frame, l3 + 4, random.nextInt(64));
            }
            for (int at = l3 + 40; at + 1 < frame.length && random.nextBoolean(); at += 8)
            {
                frame[at] = (byte)INTERESTING_PROTOCOLS[random.nextInt(INTERESTING_PROTOCOLS.length)];
                frame[at + 1] = (byte)random.nextInt(2);
            }
        }
        return length;
    }

    private static int mutated(final SplittableRandom random, final byte[] frame, final Crafted template)
    {
        final byte[] bytes = template.bytes();
        System.arraycopy(bytes, 0, frame, 0, bytes.length);
        final int length = random.nextInt(4) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;
        final int changes = random.nextInt(6);
        for (int change = 0; change < changes && length > 0; change++)
        {
            frame[random.nextInt(length)] = (byte)random.nextInt(256);
        }
        return length;
    }

    private static void assertInvariants(final FrameEvent event, final int length, final int frame)
    {
        assertTrue(event.vlanCount >= 0 && event.vlanCount <= PacketParser.MAX_VLAN_TAGS, "vlanCount");
        if (0 != event.parseError)
        {
            return;
        }
        assertTrue(event.l3Offset <= length, () -> "l3Offset beyond the frame, frame " + frame);
        if (0 != event.ipVersion)
        {
            assertTrue(event.ipVersion == 4 || event.ipVersion == 6, "ipVersion");
            assertTrue(event.l3Offset < event.ipEnd && event.ipEnd <= length, () -> "ipEnd, frame " + frame);
            assertTrue(event.ipProtocol >= 0 && event.ipProtocol <= 255, "ipProtocol");
        }
        else
        {
            assertEquals(FrameEvent.ABSENT, event.l4Offset, "no L4 without IP");
        }
        if (FrameEvent.ABSENT != event.l4Offset)
        {
            assertTrue(event.l3Offset + Ipv4Flyweight.MIN_HEADER_LENGTH <= event.l4Offset &&
                event.l4Offset < event.payloadOffset && event.payloadOffset <= event.ipEnd,
                () -> "L4 offsets, frame " + frame);
            assertEquals(0, event.ipFlags & FrameEvent.IP_LATER_FRAGMENT, "no L4 in a later fragment");
        }
    }

    private static void putU16(final byte[] bytes, final int offset, final int value)
    {
        if (offset + 1 < bytes.length)
        {
            FrameCrafter.putU16(bytes, offset, value);
        }
    }

    private static String hex(final byte[] bytes, final int length)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            text.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return text.toString();
    }
}
