package io.sluice.perf.jmh;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.PacketParser;
import io.sluice.pipeline.rules.Action;
import io.sluice.pipeline.rules.Filter;
import io.sluice.pipeline.rules.FilterRule;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.xsk.frame.IpProtocols;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link Filter#match} of one parsed frame against {@code rules} rules, cycling through
 * {@link UmemFrames#FRAME_COUNT} preallocated events parsed from IPv4/UDP frames, one flow each, all to
 * 10.1.0.2:9000.
 * <p>
 * <b>Every frame matches the last rule</b>, so each match scans the whole list: the figure for 10,000 rules is the
 * linear cost of first-match-wins, not a lucky early hit. The rules before it are near misses: each has the frames'
 * protocol and destination port and a /32 destination in 10.2.0.0/16, so the scan passes the protocol and port
 * checks and fails only at the address, the third of the checks {@link Filter} makes. The last rule matches the
 * frames' 10.1.0.0/16. With one rule, that rule is the match.
 * <p>
 * The rule arrays the scan reads are about 24 bytes a rule (fields, protocol, port range, address and mask), some
 * 240 KB for 10,000 rules: out of L1, inside L2.
 * <p>
 * The class is not final because JMH subclasses its {@code @State} classes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class FilterBenchmark
{
    @Param({"1", "100", "10000"})
    public int rules;

    private final FrameEvent[] events = new FrameEvent[UmemFrames.FRAME_COUNT];
    private Filter filter;
    private int next;

    @Setup(Level.Trial)
    public void setUp()
    {
        filter = new Filter(ruleSet(rules));

        final PacketParser parser = new PacketParser();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment umem = UmemFrames.allocate(arena, UmemFrames.FRAME_COUNT);
            for (int i = 0; i < UmemFrames.FRAME_COUNT; i++)
            {
                final FrameEvent event = new FrameEvent();
                UmemFrames.write(umem, i, FrameShape.IPV4_UDP.build(i), event);
                if (0 != parser.parse(umem, event))
                {
                    throw new IllegalStateException("frame " + i + " did not parse: error " + event.parseError);
                }
                final int rule = filter.match(event);
                if (rules - 1 != rule)
                {
                    throw new IllegalStateException("frame " + i + " matched rule " + rule + ", not the last (" +
                        (rules - 1) + ")");
                }
                events[i] = event;
            }
        }
        next = 0;
    }

    /**
     * @return the index of the matching rule, so the scan cannot be eliminated; the event's decision and the
     * rule's hit counter are written as well.
     */
    @Benchmark
    public int match()
    {
        final FrameEvent event = events[next++ & UmemFrames.FRAME_MASK];

        return filter.match(event);
    }

    private static RuleSet ruleSet(final int count)
    {
        final List<FilterRule> list = new ArrayList<>(count);
        for (int i = 0; i < count - 1; i++)
        {
            list.add(FilterRule.builder("near-miss-" + i)
                .protocol(IpProtocols.UDP)
                .dstPorts(FrameShape.DST_PORT, FrameShape.DST_PORT)
                .destination("10.2." + (i >>> 8) + "." + (i & 0xFF) + "/32")
                .action(Action.DROP)
                .build());
        }
        list.add(FilterRule.builder("match")
            .protocol(IpProtocols.UDP)
            .dstPorts(FrameShape.DST_PORT, FrameShape.DST_PORT)
            .destination("10.1.0.0/16")
            .action(Action.COUNT)
            .build());

        return new RuleSet(list, RuleSet.DEFAULT_ACTION_DEFAULT);
    }
}
