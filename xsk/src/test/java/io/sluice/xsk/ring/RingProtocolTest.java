package io.sluice.xsk.ring;

import io.sluice.xsk.ffi.IfXdp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring protocol against a plain MemorySegment laid out as the kernel lays out a ring, with the test playing the
 * kernel's side: index arithmetic, caching, batches and the wrap of the free-running 32-bit indices.
 */
class RingProtocolTest
{
    private static final long PRODUCER = 0;
    private static final long CONSUMER = 64;
    private static final long FLAGS = 128;
    private static final long DESC = 192;
    private static final int SIZE = 8;

    private final Arena arena = Arena.ofAuto();

    private MemorySegment memory(final int start)
    {
        final MemorySegment memory = arena.allocate(DESC + SIZE * 16L, 64);
        memory.set(JAVA_INT, PRODUCER, start);
        memory.set(JAVA_INT, CONSUMER, start);
        return memory;
    }

    private static int producer(final MemorySegment memory)
    {
        return memory.get(JAVA_INT, PRODUCER);
    }

    private static int consumer(final MemorySegment memory)
    {
        return memory.get(JAVA_INT, CONSUMER);
    }

    @Test
    void shouldReserveAllFreeSlotsOfAFreshProducerRingAndNoMore()
    {
        final MemorySegment memory = memory(0);
        final FillRing fill = new FillRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);

        assertEquals(SIZE, fill.free(1));
        assertEquals(0, fill.reserve(SIZE + 1));
        assertEquals(SIZE, fill.reserve(SIZE));
        assertEquals(0, fill.reservedIndex());
        assertEquals(0, fill.reserve(1));
        assertEquals(0, fill.reserveUpTo(4));
        assertEquals(SIZE, fill.pending());
        assertEquals(0, producer(memory), "nothing is published before submit");
    }

    @Test
    void shouldPublishOnlyOnSubmitAndWriteSlotsAtMaskedIndices()
    {
        final MemorySegment memory = memory(0);
        final FillRing fill = new FillRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);

        assertEquals(3, fill.reserve(3));
        for (int i = 0; i < 3; i++)
        {
            fill.address(fill.reservedIndex() + i, 4096L * (i + 1));
        }
        fill.submit(3);

        assertEquals(3, producer(memory));
        assertEquals(4096L, memory.get(JAVA_LONG, DESC));
        assertEquals(8192L, memory.get(JAVA_LONG, DESC + 8));
        assertEquals(12288L, memory.get(JAVA_LONG, DESC + 16));
        assertEquals(SIZE - 3, fill.free(SIZE - 3));
    }

    @Test
    void shouldRefreshTheCachedConsumerOnlyWhenTheCacheShowsTooFewFreeSlots()
    {
        final MemorySegment memory = memory(0);
        final FillRing fill = new FillRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);
        assertEquals(SIZE, fill.reserve(SIZE));
        fill.submit(SIZE);
        assertEquals(0, fill.free(0), "nothing free, and nothing asked for: the cache answers");

        memory.set(JAVA_INT, CONSUMER, 5); // the kernel consumed five

        assertEquals(0, fill.free(0), "the cache still answers when it satisfies the request");
        assertEquals(5, fill.free(1), "a request the cache cannot meet re-reads the consumer");
        assertEquals(2, fill.reserveUpTo(2));
        assertEquals(SIZE, fill.reservedIndex());
    }

    @Test
    void shouldPeekOnlyWhatTheKernelPublishedAndReleaseInOrder()
    {
        final MemorySegment memory = memory(0);
        final RxRing rx = new RxRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);
        assertEquals(0, rx.peek(4));

        for (int i = 0; i < 5; i++)
        {
            memory.set(JAVA_LONG, DESC + i * 16L, 256L + 4096L * i);
            memory.set(JAVA_INT, DESC + i * 16L + 8, 60 + i);
        }
        memory.set(JAVA_INT, PRODUCER, 5);

        assertEquals(4, rx.peek(4));
        assertEquals(0, rx.peekedIndex());
        assertEquals(256L + 4096L * 3, rx.address(3));
        assertEquals(63, rx.length(3));
        assertEquals(1, rx.peek(4));
        assertEquals(4, rx.peekedIndex());
        assertEquals(0, rx.peek(4));
        assertEquals(0, consumer(memory), "nothing is released before release");
        assertEquals(5, rx.unreleased());

        rx.release(5);
        assertEquals(5, consumer(memory));
        assertEquals(0, rx.unreleased());
    }

    @Test
    void shouldReturnCancelledEntriesOnTheNextPeek()
    {
        final MemorySegment memory = memory(0);
        final CompletionRing cr = new CompletionRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);
        for (int i = 0; i < 4; i++)
        {
            memory.set(JAVA_LONG, DESC + i * 8L, 2048L * i);
        }
        memory.set(JAVA_INT, PRODUCER, 4);

        assertEquals(4, cr.peek(8));
        cr.cancel(2);
        cr.release(2);
        assertEquals(2, cr.peek(8));
        assertEquals(2, cr.peekedIndex());
        assertEquals(4096L, cr.address(cr.peekedIndex()));
    }

    @ParameterizedTest
    @ValueSource(ints = {-3, -8, -1, 0x7FFFFFFD})
    void shouldCarryBatchesAcrossTheWrapOfThe32BitIndices(final int start)
    {
        final MemorySegment memory = memory(start);
        final TxRing tx = new TxRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);
        long sent = 0;
        long consumed = 0;

        for (int round = 0; round < 10; round++)
        {
            final int n = tx.reserveUpTo(5);
            for (int i = 0; i < n; i++)
            {
                tx.descriptor(tx.reservedIndex() + i, 1000L + sent + i, 64);
            }
            tx.submit(n);
            sent += n;

            // the kernel consumes everything published, checking it reads the descriptors in order
            final int published = producer(memory);
            int index = consumer(memory);
            while (index != published)
            {
                final long slot = DESC + (long)(index & (SIZE - 1)) * 16;
                assertEquals(1000L + consumed, memory.get(JAVA_LONG, slot), "descriptor " + consumed);
                consumed++;
                index++;
            }
            memory.set(JAVA_INT, CONSUMER, published);
        }

        assertEquals(sent, consumed);
        assertEquals(start + (int)sent, producer(memory));
    }

    @ParameterizedTest
    @ValueSource(ints = {-3, -1, 0x7FFFFFFE})
    void shouldCountAvailableEntriesAcrossTheWrap(final int start)
    {
        final MemorySegment memory = memory(start);
        final RxRing rx = new RxRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);

        memory.set(JAVA_INT, PRODUCER, start + 6);
        assertEquals(6, rx.available(SIZE));
        assertEquals(6, rx.unread());
        assertEquals(4, rx.peek(4));
        assertEquals(start, rx.peekedIndex());
        rx.release(4);
        assertEquals(start + 4, consumer(memory));
        assertEquals(2, rx.peek(SIZE));
        rx.release(2);
        assertEquals(start + 6, consumer(memory));
        assertEquals(0, rx.unread());

        final FillRing fill = new FillRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);
        assertEquals(SIZE, fill.free(SIZE), "a producer starting at " + (start + 6) + " sees the whole ring free");
    }

    @Test
    void shouldReadTheNeedWakeupFlagFromTheFlagsWord()
    {
        final MemorySegment memory = memory(0);
        final FillRing fill = new FillRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, SIZE);
        assertFalse(fill.needsWakeup());
        memory.set(JAVA_INT, FLAGS, IfXdp.XDP_RING_NEED_WAKEUP);
        assertTrue(fill.needsWakeup());
        memory.set(JAVA_INT, FLAGS, 0);
        assertFalse(fill.needsWakeup());
    }

    @Test
    void shouldRefuseARingThatIsNotAPowerOfTwoOrDoesNotFit()
    {
        final MemorySegment memory = memory(0);
        assertThrows(IllegalArgumentException.class, () -> new FillRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, 6));
        assertThrows(IllegalArgumentException.class, () -> new RxRing(memory, PRODUCER, CONSUMER, FLAGS, DESC, 16));
    }
}
