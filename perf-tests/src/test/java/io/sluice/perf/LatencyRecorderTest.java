package io.sluice.perf;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The latency receiver's loss, reorder and duplicate counts are exact on synthetic sequences whose true counts are
 * known by construction.
 */
class LatencyRecorderTest
{
    @Test
    void shouldCountNothingButReceiptsForAnInOrderSequence()
    {
        final LatencyRecorder recorder = new LatencyRecorder(1000, 0);
        for (long s = 1000; s < 11_000; s++)
        {
            recorder.record(s, 5_000);
        }
        assertEquals(10_000, recorder.received());
        assertEquals(0, recorder.lost(10_000));
        assertEquals(0, recorder.reordered());
        assertEquals(0, recorder.duplicates());
        assertEquals(10_000, recorder.histogram().getTotalCount());
    }

    @Test
    void shouldCountExactlyTheLostReorderedAndDuplicatedFrames()
    {
        final int sent = 100_000;
        final Random random = new Random(42);
        final List<Long> arrivals = new ArrayList<>();
        int lost = 0;
        for (long s = 0; s < sent; s++)
        {
            if (random.nextInt(100) < 3)
            {
                lost++;
                continue;
            }
            arrivals.add(s);
        }
        // swap neighbours now and then: the later-numbered one arrives first, the other counts as reordered
        int reordered = 0;
        for (int i = 0; i + 1 < arrivals.size(); i += 2)
        {
            if (random.nextInt(100) < 5)
            {
                Collections.swap(arrivals, i, i + 1);
                reordered++;
            }
        }
        // repeat some frames right after themselves
        int duplicates = 0;
        final List<Long> withDuplicates = new ArrayList<>();
        for (final long s : arrivals)
        {
            withDuplicates.add(s);
            if (random.nextInt(1000) < 7)
            {
                withDuplicates.add(s);
                duplicates++;
            }
        }

        final LatencyRecorder recorder = new LatencyRecorder(0, 1_000);
        for (final long s : withDuplicates)
        {
            recorder.record(s, 2_000);
        }

        assertEquals(withDuplicates.size(), recorder.received());
        assertEquals(lost, recorder.lost(sent));
        assertEquals(reordered, recorder.reordered());
        assertEquals(duplicates, recorder.duplicates());
        assertEquals(0, recorder.stale());
    }

    @Test
    void shouldCountTailLossAndFramesBeforeTheFirst()
    {
        final LatencyRecorder recorder = new LatencyRecorder(100, 0);
        recorder.record(99, 1_000);
        for (long s = 100; s < 150; s++)
        {
            recorder.record(s, 1_000);
        }
        assertEquals(1, recorder.stale());
        assertEquals(50, recorder.lost(100), "the last 50 of 100 sent never came");
    }

    @Test
    void shouldTellDuplicatesFromLateArrivalsAcrossTheWindow()
    {
        final LatencyRecorder recorder = new LatencyRecorder(0, 0);
        final long far = 3L * LatencyRecorder.WINDOW_FRAMES;
        recorder.record(5, 1_000);
        recorder.record(far, 1_000);
        recorder.record(far - 1, 1_000);
        recorder.record(far - 1, 1_000);
        recorder.record(5 + LatencyRecorder.WINDOW_FRAMES * 2L, 1_000);
        assertEquals(1, recorder.duplicates());
        assertEquals(2, recorder.reordered(), "far - 1 and an old number inside the window arrived late");
        assertEquals(0, recorder.stale());
        recorder.record(5, 1_000);
        assertEquals(1, recorder.stale(), "older than the window");
    }

    @Test
    void shouldFillInTheRoundTripsAStallHidFromTheSender()
    {
        final long intervalNs = 10_000;
        final LatencyRecorder recorder = new LatencyRecorder(0, intervalNs);
        recorder.record(0, 1_000_000);
        // a 1 ms round trip at one frame per 10 µs hides 99 frames that would have waited 990 µs .. 10 µs
        assertEquals(100, recorder.histogram().getTotalCount());
        assertEquals(1_000_000, recorder.histogram().getMaxValue(), 1_000_000 / 1000.0);
    }
}
