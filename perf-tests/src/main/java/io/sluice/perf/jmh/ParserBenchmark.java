package io.sluice.perf.jmh;

import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.parse.PacketParser;
import io.sluice.pipeline.parse.ParseError;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@link PacketParser#parse} of one frame, in place in native memory laid out as a UMEM, cycling through
 * {@code frames} frames and one preallocated {@link FrameEvent} per frame, as the Disruptor ring holds one per slot.
 * The default, {@link UmemFrames#FRAME_COUNT}, keeps a frame's headers out of L1 and its page out of the L1 TLB
 * when it is parsed, as on the receive path (see there); {@code -p frames=1} parses one frame over and over, all in
 * L1, to show how much of the figure is memory.
 * <p>
 * Every frame of a run has the same shape, so the branch predictor learns the path as it does for a single flow;
 * {@code mix} shuffles all the shapes in equal shares (fixed seed) to show the cost when it cannot.
 * {@code truncated-ipv4} is the malformed case: it stops at the first IPv4 length check with
 * {@link ParseError#TRUNCATED_IPV4}.
 * <p>
 * The class is not final because JMH subclasses its {@code @State} classes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class ParserBenchmark
{
    /**
     * Label for a run over every shape, shuffled.
     */
    static final String MIX = "mix";

    private static final long MIX_SEED = 42;

    @Param({"ipv4-udp", "ipv4-tcp", "vlan-ipv4-udp", "qinq-ipv6-tcp", "ipv6-udp", "arp", "truncated-ipv4", MIX})
    public String shape;

    /**
     * Frames cycled through, a power of two.
     */
    @Param({"" + UmemFrames.FRAME_COUNT})
    public int frames;

    private final PacketParser parser = new PacketParser();
    private FrameEvent[] events;
    private int frameMask;
    private Arena arena;
    private MemorySegment umem;
    private int next;

    @Setup(Level.Trial)
    public void setUp()
    {
        if (frames <= 0 || Integer.bitCount(frames) != 1)
        {
            throw new IllegalArgumentException("frames must be a power of two: " + frames);
        }
        frameMask = frames - 1;
        events = new FrameEvent[frames];
        arena = Arena.ofShared();
        umem = UmemFrames.allocate(arena, frames);

        final FrameShape[] shapes = shapes(shape, frames);
        for (int i = 0; i < frames; i++)
        {
            final FrameEvent event = new FrameEvent();
            UmemFrames.write(umem, i, shapes[i].build(i), event);
            events[i] = event;

            final int error = parser.parse(umem, event);
            if (shapes[i].expected().id() != error)
            {
                throw new IllegalStateException("frame " + i + " (" + shapes[i].label() + ") parsed as " +
                    ParseError.get(error) + ", not " + shapes[i].expected());
            }
        }
        next = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    /**
     * @return the parse error id, so the parse cannot be eliminated; the event's fields are written as well.
     */
    @Benchmark
    public int parse()
    {
        final FrameEvent event = events[next++ & frameMask];

        return parser.parse(umem, event);
    }

    private static FrameShape[] shapes(final String label, final int count)
    {
        final FrameShape[] shapes = new FrameShape[count];
        if (!MIX.equals(label))
        {
            Arrays.fill(shapes, FrameShape.byLabel(label));
            return shapes;
        }

        final FrameShape[] all = FrameShape.values();
        for (int i = 0; i < shapes.length; i++)
        {
            shapes[i] = all[i % all.length];
        }
        final Random random = new Random(MIX_SEED);
        for (int i = shapes.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final FrameShape swap = shapes[i];
            shapes[i] = shapes[j];
            shapes[j] = swap;
        }

        return shapes;
    }
}
