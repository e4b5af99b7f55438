package io.sluice.perf;

import org.HdrHistogram.Histogram;

/**
 * The latency receiver's bookkeeping: each returned frame's round trip into an HdrHistogram, corrected for
 * coordinated omission, and its sequence number into exact counts of frames received, reordered, duplicated and
 * lost. Allocates nothing per frame; one thread records.
 * <p>
 * <b>Coordinated omission.</b> The generator sends at a fixed rate, one frame every {@code expectedIntervalNs}. When
 * a reflector stalls, the frames behind the stall come back late all together; recording only their own round trips
 * would under-count how long a sender at that rate waited. {@link Histogram#recordValueWithExpectedInterval} adds
 * the round trips the missing intervals would have had, as Gil Tene's HdrHistogram intends.
 * <p>
 * <b>Sequence accounting.</b> Frames carry numbers from {@code firstSequence} up. A frame numbered above the
 * highest seen so far is in order (the numbers it skips are missing, for now); one numbered below it arrived late
 * (reordered) unless it was seen before (a duplicate, told apart with a bitmap over the last
 * {@link #WINDOW_FRAMES} numbers). At the end, lost = sent - distinct frames received.
 */
final class LatencyRecorder
{
    /**
     * Sequence numbers remembered for duplicate detection: 2^22 frames, over 4 s at 1 Mpps, far more than any
     * reordering a ring-based reflector produces.
     */
    static final int WINDOW_FRAMES = 1 << 22;

    /**
     * Longest round trip the histogram tracks: 10 s; longer ones are clamped and counted.
     */
    static final long HIGHEST_TRACKABLE_NS = 10_000_000_000L;

    private final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NS, 3);
    private final long[] seen = new long[WINDOW_FRAMES / Long.SIZE];
    private final long firstSequence;
    private final long expectedIntervalNs;
    private long highest = -1;
    private long received;
    private long distinct;
    private long reordered;
    private long duplicates;
    private long stale;
    private long clamped;

    /**
     * @param firstSequence      number of the first frame sent.
     * @param expectedIntervalNs time between frames at the generator's rate, for the coordinated-omission
     *                           correction; 0 for no correction.
     */
    LatencyRecorder(final long firstSequence, final long expectedIntervalNs)
    {
        this.firstSequence = firstSequence;
        this.expectedIntervalNs = expectedIntervalNs;
    }

    /**
     * Record one returned frame.
     *
     * @param sequence   its sequence number.
     * @param roundTripNs receive time minus send time.
     */
    void record(final long sequence, final long roundTripNs)
    {
        received++;
        final long index = sequence - firstSequence;
        if (index < 0 || (highest >= 0 && index <= highest - WINDOW_FRAMES))
        {
            // before the first frame, or too old to tell a duplicate from a late arrival: counted apart
            stale++;
            return;
        }
        final int word = (int)((index >>> 6) & (seen.length - 1));
        final long bit = 1L << (index & 63);
        if (index > highest)
        {
            // forget what the window's new numbers meant a lap ago
            for (long i = highest + 1; i < index && i <= highest + WINDOW_FRAMES; i++)
            {
                seen[(int)((i >>> 6) & (seen.length - 1))] &= ~(1L << (i & 63));
            }
            seen[word] &= ~bit;
            highest = index;
        }
        else if (0 != (seen[word] & bit))
        {
            duplicates++;
            return;
        }
        else
        {
            reordered++;
        }
        seen[word] |= bit;
        distinct++;

        long value = Math.max(0, roundTripNs);
        if (value > HIGHEST_TRACKABLE_NS)
        {
            value = HIGHEST_TRACKABLE_NS;
            clamped++;
        }
        if (expectedIntervalNs > 0)
        {
            histogram.recordValueWithExpectedInterval(value, expectedIntervalNs);
        }
        else
        {
            histogram.recordValue(value);
        }
    }

    /**
     * @param sent frames the generator sent.
     * @return frames never received.
     */
    long lost(final long sent)
    {
        return sent - distinct;
    }

    /**
     * @return frames received, duplicates included.
     */
    long received()
    {
        return received;
    }

    /**
     * @return distinct frames received: each sequence number once.
     */
    long distinct()
    {
        return distinct;
    }

    /**
     * @return frames that arrived after a higher-numbered one.
     */
    long reordered()
    {
        return reordered;
    }

    /**
     * @return frames whose number had been received already.
     */
    long duplicates()
    {
        return duplicates;
    }

    /**
     * @return frames numbered below the first, or older than the duplicate window.
     */
    long stale()
    {
        return stale;
    }

    /**
     * @return round trips above {@link #HIGHEST_TRACKABLE_NS}, recorded at that value.
     */
    long clamped()
    {
        return clamped;
    }

    /**
     * @return the round-trip histogram, in ns, corrected for coordinated omission.
     */
    Histogram histogram()
    {
        return histogram;
    }
}
