package io.sluice.perf.jmh;

import io.sluice.pipeline.PipelineConfig;
import io.sluice.xsk.ring.CompletionRing;
import io.sluice.xsk.ring.FillRing;
import io.sluice.xsk.ring.RxRing;
import io.sluice.xsk.ring.TxRing;
import io.sluice.xsk.socket.XskConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The Java side of the ring protocol without the kernel: a producer ring and a consumer ring over the same native
 * memory, laid out as the kernel lays out a ring, one playing user space and the other the kernel. One invocation
 * reserves, writes and submits a batch of {@value #BATCH} descriptors, then peeks, reads and releases them.
 * <ul>
 * <li>{@code txRx*}: a {@link TxRing} producing 16-byte {@code xdp_desc}s, an {@link RxRing} consuming them (the
 * two share the descriptor layout);</li>
 * <li>{@code fillCompletion*}: a {@link FillRing} producing 8-byte addresses, a {@link CompletionRing} consuming
 * them.</li>
 * </ul>
 * {@code *Batch} reports nanoseconds per batch and {@code *PerDescriptor}, the same work under
 * {@code @OperationsPerInvocation(BATCH)}, nanoseconds per descriptor.
 * <p>
 * Both sides run on one thread, so the producer and consumer words never leave this core's cache: the figures are
 * the protocol's instruction cost (index caching, masking, bounds checks, acquire and release accesses), not the
 * cost of the cache-line transfers between the application core and the core running the kernel's NAPI poll.
 * Because the consumer drains every batch, its cached producer index is empty each time and it reads the shared
 * producer word on every peek, as the receiver does when it keeps up; the producer refreshes its cached consumer
 * index once a lap of the ring, as libxdp's does.
 * <p>
 * The class is not final because JMH subclasses its {@code @State} classes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class RingBenchmark
{
    /**
     * Descriptors per batch: the receiver's default RX batch, and the usual one in libxdp's examples.
     */
    static final int BATCH = PipelineConfig.RX_BATCH_DEFAULT;

    /**
     * Slots in each ring: Sluice's default RX and TX ring size.
     */
    static final int RING_SIZE = XskConfig.RX_RING_SIZE_DEFAULT;

    /**
     * Offsets of the kernel's {@code struct xdp_ring} ({@code net/xdp/xsk_queue.h}, 64-byte cache lines), as
     * {@code XDP_MMAP_OFFSETS} reports them: producer and consumer two lines apart, so the adjacent-line prefetcher
     * does not pair them; flags after a pad word on the consumer's second line; slots from the next line on.
     */
    static final long PRODUCER_OFFSET = 0;
    static final long CONSUMER_OFFSET = 128;
    static final long FLAGS_OFFSET = 196;
    static final long DESC_OFFSET = 320;

    /**
     * Frame addresses written cycle through this many 4 KiB frames, as a UMEM's would.
     */
    private static final int FRAME_MASK = UmemFrames.FRAME_MASK;
    private static final int FRAME_SHIFT = Integer.numberOfTrailingZeros(UmemFrames.FRAME_SIZE_BYTES);
    private static final int FRAME_LENGTH_BYTES = 60;

    private Arena arena;
    private TxRing tx;
    private RxRing rx;
    private FillRing fill;
    private CompletionRing completion;

    @Setup(Level.Trial)
    public void setUp()
    {
        arena = Arena.ofShared();
        final MemorySegment txRxMemory = ringMemory(arena, TxRing.ENTRY_BYTES);
        tx = new TxRing(txRxMemory, PRODUCER_OFFSET, CONSUMER_OFFSET, FLAGS_OFFSET, DESC_OFFSET, RING_SIZE);
        rx = new RxRing(txRxMemory, PRODUCER_OFFSET, CONSUMER_OFFSET, FLAGS_OFFSET, DESC_OFFSET, RING_SIZE);

        final MemorySegment fillCompletionMemory = ringMemory(arena, FillRing.ENTRY_BYTES);
        fill = new FillRing(fillCompletionMemory, PRODUCER_OFFSET, CONSUMER_OFFSET, FLAGS_OFFSET, DESC_OFFSET,
            RING_SIZE);
        completion = new CompletionRing(
            fillCompletionMemory, PRODUCER_OFFSET, CONSUMER_OFFSET, FLAGS_OFFSET, DESC_OFFSET, RING_SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    public long txRxBatch()
    {
        return txRx(tx, rx);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long txRxPerDescriptor()
    {
        return txRx(tx, rx);
    }

    @Benchmark
    public long fillCompletionBatch()
    {
        return fillCompletion(fill, completion);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long fillCompletionPerDescriptor()
    {
        return fillCompletion(fill, completion);
    }

    /**
     * @return the sum of what was read, so neither side's accesses can be eliminated.
     */
    private static long txRx(final TxRing tx, final RxRing rx)
    {
        final int reserved = tx.reserve(BATCH);
        final int first = tx.reservedIndex();
        for (int i = 0; i < reserved; i++)
        {
            final int index = first + i;
            tx.descriptor(index, frameAddress(index), FRAME_LENGTH_BYTES);
        }
        tx.submit(reserved);

        final int peeked = rx.peek(BATCH);
        final int start = rx.peekedIndex();
        long sum = 0;
        for (int i = 0; i < peeked; i++)
        {
            final int index = start + i;
            sum += rx.address(index) + rx.length(index);
        }
        rx.release(peeked);

        return sum;
    }

    /**
     * @return the sum of what was read, so neither side's accesses can be eliminated.
     */
    private static long fillCompletion(final FillRing fill, final CompletionRing completion)
    {
        final int reserved = fill.reserve(BATCH);
        final int first = fill.reservedIndex();
        for (int i = 0; i < reserved; i++)
        {
            final int index = first + i;
            fill.address(index, frameAddress(index));
        }
        fill.submit(reserved);

        final int peeked = completion.peek(BATCH);
        final int start = completion.peekedIndex();
        long sum = 0;
        for (int i = 0; i < peeked; i++)
        {
            sum += completion.address(start + i);
        }
        completion.release(peeked);

        return sum;
    }

    private static long frameAddress(final int index)
    {
        return (long)(index & FRAME_MASK) << FRAME_SHIFT;
    }

    private static MemorySegment ringMemory(final Arena arena, final int entryBytes)
    {
        // page aligned and zeroed, as the kernel's mapping of a fresh ring: every index starts at 0
        return arena.allocate(DESC_OFFSET + (long)RING_SIZE * entryBytes, UmemFrames.FRAME_SIZE_BYTES);
    }
}
