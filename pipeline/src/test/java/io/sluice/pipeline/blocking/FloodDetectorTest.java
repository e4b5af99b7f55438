package io.sluice.pipeline.blocking;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.TcpFlyweight;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.xdp.Prefix;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The detector's arithmetic, frame by frame with chosen timestamps: the sliding window's threshold to the frame,
 * prefix aggregation, the hold-off, the SYN-to-handshake ratio, the bounded table and its evictions, and no
 * allocation on the way.
 */
class FloodDetectorTest
{
    private static final int UDP_RULE = 1;
    private static final int SYN_RULE = 2;
    private static final int OTHER_RULE = 0;
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000_000_000_000L;

    private final OneToOneRingBuffer outbox = FloodDetector.newOutbox(64 * 1024);
    private final FrameEvent event = new FrameEvent();

    private FloodDetector detector(final int track, final BlockTrigger... triggers)
    {
        return new FloodDetector(RingBuffer.createSingleProducer(FrameEvent::new, 8), new Sequence[0], 3,
            List.of(triggers), new BlockingPolicy(BlockingPolicy.TTL_NS_DEFAULT, 16, track, List.of()), outbox,
            CountersFile.inMemory(64), "");
    }

    private static BlockTrigger udp(final long pps, final long windowMs, final int prefix)
    {
        return new BlockTrigger(UDP_RULE, "udp-flood", pps, windowMs * MS, 0, prefix, 128, 0);
    }

    @Test
    void shouldFlagOnTheFirstFrameOverTheRateAndNotBefore()
    {
        final FloodDetector detector = detector(1024, udp(1000, 100, 32));
        for (int i = 0; i < 100; i++)
        {
            detector.examine(v4(UDP_RULE, "198.51.100.7", T0 + i * MS / 2));
            detector.examine(v4(UDP_RULE, "198.51.100.8", T0 + i * MS / 2 + 1));
        }
        assertEquals(List.of(), flags(), "100 frames in 50 ms: at the limit of 100 a window, not over it");

        detector.examine(v4(UDP_RULE, "198.51.100.7", T0 + 50 * MS));
        final List<Flag> flags = flags();
        assertEquals(1, flags.size());
        assertEquals(Prefix.parse("198.51.100.7/32"), flags.get(0).prefix());
        assertEquals(T0 + 50 * MS, flags.get(0).detectedAtNs());
        assertEquals(1010, flags.get(0).ratePps(), "101 frames in a 100 ms window");
        assertEquals(1, detector.flagged(0));
    }

    @Test
    void shouldExamineEachFrameWithTheTriggersOfTheRulesThatJudgedIt()
    {
        final FloodDetector detector = detector(1024, udp(1000, 100, 32));
        // a reload to generation 7: a rule inserted before the flood rule, whose trigger moves to rule 2 at 500 pps
        final FloodDetector.Triggers next = detector.triggers(7, 3,
            List.of(new BlockTrigger(2, "udp-flood", 500, 100 * MS, 0, 32, 128, 0)), new int[] { 0 },
            detector.triggers());
        detector.handOver(next);
        detector.doWork();
        assertEquals(next, detector.triggers(), "taken up before the next batch");

        // frames the old filter judged (rule 1, generation 0) still count toward the old trigger and its limit
        for (int i = 0; i < 100; i++)
        {
            detector.examine(judged(v4(UDP_RULE, "198.51.100.7", T0 + i * MS / 2), 0));
            detector.examine(judged(v4(UDP_RULE, "198.51.100.9", T0 + i * MS / 2), 7));
        }
        assertEquals(List.of(), flags(), "100 in 50 ms is the old limit; rule 1 of generation 7 has no trigger");
        detector.examine(judged(v4(UDP_RULE, "198.51.100.7", T0 + 50 * MS), 0));
        assertEquals(1, flags().size(), "the old trigger's limit");

        // the new rules' frames count toward the new trigger, at rule 2, under the same id and counters
        for (int i = 0; i < 51; i++)
        {
            detector.examine(judged(v4(2, "198.51.100.8", T0 + i * MS), 7));
        }
        final List<Flag> flags = flags();
        assertEquals(1, flags.size(), "51 in 51 ms is over the new limit of 50 a window");
        assertEquals(0, flags.get(0).trigger(), "the trigger of the same rule name keeps its id");
        assertEquals(2, detector.flagged(0), "one counter across both generations");
    }

    private static FrameEvent judged(final FrameEvent frame, final long generation)
    {
        frame.judgedBy = generation;
        return frame;
    }

    @Test
    void shouldLetASteadyRateUnderTheLimitThroughAndFlagOneJustOver()
    {
        final FloodDetector detector = detector(1024, udp(1000, 100, 32));
        // 950 pps for 3 s, evenly: the sliding window never holds more than 96
        for (long i = 0; i < 2850; i++)
        {
            detector.examine(v4(UDP_RULE, "192.0.2.1", T0 + i * 1_000_000_000L / 950));
        }
        assertEquals(List.of(), flags());

        // 1,100 pps: over within the first window and a half
        for (long i = 0; i < 165; i++)
        {
            detector.examine(v4(UDP_RULE, "192.0.2.2", T0 + i * 1_000_000_000L / 1100));
        }
        final List<Flag> flags = flags();
        assertEquals(1, flags.size());
        assertEquals(Prefix.parse("192.0.2.2/32"), flags.get(0).prefix());
        assertTrue(flags.get(0).detectedAtNs() - T0 <= 150 * MS, flags.toString());
    }

    @Test
    void shouldCountAPrefixAsOneSourceAndHoldOffAfterAFlag()
    {
        final FloodDetector detector = detector(1024, udp(1000, 100, 24));
        for (int i = 0; i < 101; i++)
        {
            detector.examine(v4(UDP_RULE, "203.0.113." + (i % 250), T0 + i * 10_000L));
        }
        final List<Flag> flags = flags();
        assertEquals(1, flags.size());
        assertEquals(Prefix.parse("203.0.113.0/24"), flags.get(0).prefix());

        // still flooding at 10,000 pps: no flag for a second, then one again
        for (int i = 0; i < 10_100; i++)
        {
            detector.examine(v4(UDP_RULE, "203.0.113.9", T0 + MS + i * 100_000L));
        }
        final List<Flag> again = flags();
        assertEquals(1, again.size(), "one second of flood after the flag: flagged once more, at its end");
        assertTrue(again.get(0).detectedAtNs() - flags.get(0).detectedAtNs() >= FloodDetector.HOLD_OFF_NS);
    }

    @Test
    void shouldAggregateIpv6ByItsPrefixLength()
    {
        final FloodDetector detector = detector(1024, new BlockTrigger(UDP_RULE, "v6", 1000, 100 * MS, 0, 32, 64, 0));
        for (int i = 0; i < 101; i++)
        {
            event.clearParse();
            event.rule = UDP_RULE;
            event.ipVersion = 6;
            event.srcIpv6Hi = 0x2001_0db8_0000_0007L;
            event.srcIpv6Lo = i;
            event.rxTimestampNs = T0 + i;
            detector.examine(event);
        }
        assertEquals(List.of(Prefix.parse("2001:db8:0:7::/64")), flags().stream().map(Flag::prefix).toList());
    }

    @Test
    void shouldFlagSynsWithoutHandshakesButNotABusyClient()
    {
        final FloodDetector detector = detector(1024,
            new BlockTrigger(SYN_RULE, "syn-flood", 100, 1000 * MS, 4, 32, 128, 0));
        for (int i = 0; i < 300; i++)
        {
            final long at = T0 + i * MS;
            // a busy client: every SYN followed by its handshake's ACK, and data ACKs besides
            detector.examine(tcp("10.0.0.1", TcpFlyweight.FLAG_SYN, at));
            detector.examine(tcp("10.0.0.1", TcpFlyweight.FLAG_ACK, at + 10));
            detector.examine(tcp("10.0.0.1", TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_PSH, at + 20));
            // a SYN-ACK or RST from it is neither
            detector.examine(tcp("10.0.0.1", TcpFlyweight.FLAG_SYN | TcpFlyweight.FLAG_ACK, at + 30));
            detector.examine(tcp("10.0.0.1", TcpFlyweight.FLAG_RST | TcpFlyweight.FLAG_ACK, at + 40));
        }
        assertEquals(List.of(), flags(), "300 SYNs a second, each completed");

        for (int i = 0; i < 101; i++)
        {
            detector.examine(tcp("10.0.0.2", TcpFlyweight.FLAG_SYN, T0 + i * MS));
            if (i % 10 == 0)
            {
                detector.examine(tcp("10.0.0.2", TcpFlyweight.FLAG_ACK, T0 + i * MS + 1));
            }
        }
        final List<Flag> flags = flags();
        assertEquals(List.of(Prefix.parse("10.0.0.2/32")), flags.stream().map(Flag::prefix).toList(),
            "101 SYNs, 11 handshakes: over 100 SYNs and over 4 x (11 + 1)");
        assertEquals(0, flags.get(0).trigger(), "the detector's only trigger");
    }

    @Test
    void shouldIgnoreFramesOfOtherRulesMalformedOnesAndNonIp()
    {
        final FloodDetector detector = detector(1024, udp(10, 100, 32));
        for (int i = 0; i < 1000; i++)
        {
            detector.examine(v4(OTHER_RULE, "192.0.2.1", T0 + i));
            final FrameEvent malformed = v4(UDP_RULE, "192.0.2.2", T0 + i);
            malformed.parseError = 3;
            detector.examine(malformed);
            final FrameEvent arp = v4(UDP_RULE, "192.0.2.3", T0 + i);
            arp.ipVersion = 0;
            detector.examine(arp);
            detector.examine(v4(FrameEvent.ABSENT, "192.0.2.4", T0 + i));
        }
        assertEquals(List.of(), flags());
        assertEquals(0, detector.sources());
    }

    @Test
    void shouldStayWithinItsTableAndStillFindAFloodAmongManySources()
    {
        final FloodDetector detector = detector(64, udp(1000, 100, 32));
        for (int i = 0; i < 10_000; i++)
        {
            detector.examine(v4(UDP_RULE, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255),
                T0 + i * 1000L));
            detector.examine(v4(UDP_RULE, "192.0.2.77", T0 + i * 1000L + 1));
        }
        assertEquals(64, detector.capacity());
        assertTrue(detector.sources() <= 64, "sources " + detector.sources());
        assertEquals(10_001, detector.sources() + detector.evictions(), "each new prefix took a free entry or one " +
            "evicted");
        final List<Flag> flags = flags();
        assertEquals(List.of(Prefix.parse("192.0.2.77/32")), flags.stream().map(Flag::prefix).distinct().toList(),
            "the flood, never the least recently seen, survives the churn");
    }

    @Test
    void shouldAllocateNothingPerFrame()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
        final FloodDetector detector = detector(4096,
            udp(1000, 100, 32), new BlockTrigger(SYN_RULE, "syn", 100, 100 * MS, 2, 32, 128, 0));
        final FrameEvent[] frames = new FrameEvent[512];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = i % 2 == 0 ? v4(UDP_RULE, "10.1." + (i / 256) + "." + (i % 256), 0) :
                tcp("10.2." + (i / 256) + "." + (i % 256), TcpFlyweight.FLAG_SYN, 0);
        }
        long allocated = -1;
        for (int round = 0; round < 5; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200_000; i++)
            {
                final FrameEvent frame = frames[i & (frames.length - 1)];
                frame.rxTimestampNs = T0 + (long)round * 200_000 + i;
                detector.examine(frame);
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            outbox.read((type, buffer, index, length) -> { }, Integer.MAX_VALUE);
        }
        assertTrue(detector.flagged(0) > 0, "the loop flagged, so the flag path ran too");
        assertEquals(0, allocated, "bytes allocated by 200,000 frames");
    }

    private FrameEvent v4(final int rule, final String source, final long atNs)
    {
        final FrameEvent frame = new FrameEvent();
        frame.clearParse();
        frame.rule = rule;
        frame.ipVersion = 4;
        final byte[] address = Prefix.parse(source).address();
        frame.srcIpv4 = (address[12] & 0xFF) << 24 | (address[13] & 0xFF) << 16 | (address[14] & 0xFF) << 8 |
            (address[15] & 0xFF);
        frame.rxTimestampNs = atNs;
        return frame;
    }

    private FrameEvent tcp(final String source, final int flags, final long atNs)
    {
        final FrameEvent frame = v4(SYN_RULE, source, atNs);
        frame.ipProtocol = 6;
        frame.tcpFlags = flags;
        return frame;
    }

    private record Flag(Prefix prefix, long detectedAtNs, long ratePps, int trigger)
    {
    }

    private List<Flag> flags()
    {
        final List<Flag> flags = new ArrayList<>();
        outbox.read((type, buffer, index, length) ->
        {
            final byte[] address = new byte[16];
            for (int i = 0; i < 8; i++)
            {
                address[i] = (byte)(buffer.getLong(index + FloodDetector.FLAG_HI) >>> (56 - 8 * i));
                address[8 + i] = (byte)(buffer.getLong(index + FloodDetector.FLAG_LO) >>> (56 - 8 * i));
            }
            flags.add(new Flag(Prefix.fromMapped(address, buffer.getInt(index + FloodDetector.FLAG_PREFIX_LENGTH)),
                buffer.getLong(index + FloodDetector.FLAG_DETECTED_NS), buffer.getLong(index + FloodDetector.FLAG_RATE_PPS),
                buffer.getInt(index + FloodDetector.FLAG_TRIGGER)));
        }, Integer.MAX_VALUE);
        return flags;
    }
}
