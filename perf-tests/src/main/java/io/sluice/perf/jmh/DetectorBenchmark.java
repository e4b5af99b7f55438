package io.sluice.perf.jmh;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.sluice.pipeline.FrameEvent;
import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.BlockingPolicy;
import io.sluice.pipeline.blocking.FloodDetector;
import io.sluice.xsk.counters.CountersFile;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link FloodDetector#examine} of one handled frame: what the detector stage adds per frame on the transmitter's
 * thread. The frames cycle through {@link UmemFrames#FRAME_COUNT} events from {@code sources} IPv4 sources, all
 * matched by a rule with a {@code block_if} far above their rate, so every frame is counted and none flagged; each
 * frame's timestamp advances 1 µs, so the windows roll as at 1 Mpps.
 * <p>
 * With 1,024 sources every frame touches another table entry (cache misses on a 65,536-entry table, about 4 MB);
 * with one source, the same entry: the two ends of the detector's cost.
 * <p>
 * The class is not final because JMH subclasses its {@code @State} classes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class DetectorBenchmark
{
    @Param({"1", "1024"})
    public int sources;

    private final FrameEvent[] events = new FrameEvent[UmemFrames.FRAME_COUNT];
    private FloodDetector detector;
    private long nowNs;
    private int next;

    @Setup(Level.Trial)
    public void setUp()
    {
        final OneToOneRingBuffer outbox = FloodDetector.newOutbox(64 * 1024);
        detector = new FloodDetector(RingBuffer.createSingleProducer(FrameEvent::new, 8), new Sequence[0], 1,
            List.of(new BlockTrigger(0, "guard", 1_000_000_000L, 100_000_000L, 0, 32, 128, 0)),
            BlockingPolicy.DEFAULTS, outbox, CountersFile.inMemory(64), "");
        for (int i = 0; i < events.length; i++)
        {
            final FrameEvent event = new FrameEvent();
            event.clearParse();
            event.rule = 0;
            event.ipVersion = 4;
            event.srcIpv4 = 0x0A00_0000 | (i % sources);
            events[i] = event;
        }
        nowNs = 1_000_000_000L;
        next = 0;
    }

    /**
     * @return the detector's table occupancy, so the work cannot be eliminated.
     */
    @Benchmark
    public long examine()
    {
        final FrameEvent event = events[next++ & UmemFrames.FRAME_MASK];
        nowNs += 1_000;
        event.rxTimestampNs = nowNs;
        detector.examine(event);

        return detector.sources();
    }
}
