package io.sluice.pipeline.parse;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.FrameCrafter.Crafted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every frame of the catalogue cut at every length, two ways: the frame alone (IP length fields left claiming the
 * full datagram) and the datagram (IP length fields rewritten to the cut, so the cut falls inside what IP carries).
 * Each cut must give the error of the header it falls in, never an exception and never a read outside the frame
 * (see {@link FrameHarness}).
 */
class PacketParserTruncationTest
{
    private final FrameHarness harness = new FrameHarness();

    static List<Named<Crafted>> frames()
    {
        return FrameCatalogue.frames();
    }

    @AfterEach
    void close()
    {
        harness.close();
    }

    @ParameterizedTest
    @MethodSource("frames")
    void shouldReportTheCutHeadersErrorForEveryFrameLength(final Crafted frame)
    {
        for (int length = 0; length <= frame.length(); length++)
        {
            final ParseError expected = frame.expectedForFrameLength(length);
            assertEquals(expected, harness.parseError(frame.bytes(), length), "frame cut to " + length + " bytes");
        }
    }

    @ParameterizedTest
    @MethodSource("frames")
    void shouldReportTheCutHeadersErrorForEveryDatagramLength(final Crafted frame)
    {
        if (frame.ipVersion() == 0 || frame.l3Offset() < 0)
        {
            return;
        }
        for (int end = frame.ipHeaderEnd(); end < frame.ipEnd(); end++)
        {
            final ParseError expected = frame.expectedForDatagramEnd(end);
            final byte[] cut = frame.cutDatagram(end);
            assertEquals(expected, harness.parseError(cut), "datagram cut to end at " + end);
            assertEquals(expected, harness.parseError(padded(cut)), "padded datagram cut to end at " + end);
        }
    }

    @ParameterizedTest
    @MethodSource("frames")
    void shouldBoundEveryOffsetByTheFrameWhenParsedCleanly(final Crafted frame)
    {
        for (int length = 0; length <= frame.length(); length++)
        {
            final FrameEvent event = harness.parse(frame.bytes(), length);
            if (0 == event.parseError && 0 != event.ipVersion)
            {
                assertTrue(event.l3Offset <= event.ipEnd && event.ipEnd <= length, "ipEnd within frame");
                if (event.l4Offset >= 0)
                {
                    assertTrue(event.l4Offset < event.payloadOffset && event.payloadOffset <= event.ipEnd,
                        "L4 header within datagram");
                }
            }
        }
    }

    /**
     * The cut datagram followed by bytes that would complete its headers: the IP length, not the frame, must bound
     * what is parsed.
     */
    private static byte[] padded(final byte[] cut)
    {
        final byte[] padded = java.util.Arrays.copyOf(cut, cut.length + 64);
        java.util.Arrays.fill(padded, cut.length, padded.length, (byte)0x45);
        return padded;
    }
}
