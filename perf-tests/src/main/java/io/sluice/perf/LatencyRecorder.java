package io.sluice.perf;

import org.HdrHistogram.Histogram;

/**
 * The latency receiver's bookkeeping: each returned frame's round trip into an HdrHistogram, corrected for
 * coordinated omission, and its sequence number into exact counts of frames received, reordered, duplicated and
 * lost. Allocates nothing per frame. One thread records, into a histogram per second of the run, preallocated, for
 * the per-second lines of an HdrHistogram log; another reads them only once recording has ended. Nothing crosses
 * threads while frames are measured: taking an interval from a live recorder (HdrHistogram's {@code Recorder})
 * would wake a second thread each second to flip, add and compress histograms, and on a 2-core machine that
 * thread stalls the prober by milliseconds.
 * <p>
 * <b>Coordinated omission.</b> Two ways to correct it, and a tester must use exactly one. A closed-loop sender, one
 * that cannot send while it waits, omits the frames a stall kept it from sending; for that
 * {@link Histogram#recordValueWithExpectedInterval} adds the round trips the missing intervals would have had, as
 * Gil Tene's HdrHistogram intends, given the sender's {@code expectedIntervalNs}. An open-loop sender that stamps
 * each frame with the time it was <i>scheduled</i> to go (wrk2's way, and {@link LatencyProbe}'s) omits nothing:
 * the frames behind a stall are sent and measured from when they should have left, so filling in as well would
 * count them twice and drag the lower percentiles down by up to one round trip's worth of invented samples. The
 * perf harness's prober is of the second kind and records with an expected interval of 0, which
 * {@code recordValueWithExpectedInterval} takes as no fill-in.
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

    private static final long SECOND_NS = 1_000_000_000L;

    private final Histogram[] intervals;
    private long startNs;
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
     * One histogram for the whole run.
     *
     * @param firstSequence      number of the first frame sent.
     * @param expectedIntervalNs time between frames at the generator's rate, for the coordinated-omission
     *                           correction; 0 for no correction.
     */
    LatencyRecorder(final long firstSequence, final long expectedIntervalNs)
    {
        this(firstSequence, expectedIntervalNs, 1);
    }

    /**
     * @param firstSequence      number of the first frame sent.
     * @param expectedIntervalNs time between frames at the generator's rate, for the coordinated-omission
     *                           correction; 0 for no correction.
     * @param seconds            histograms, one per second from {@link #start}; frames received later go into the
     *                           last.
     */
    LatencyRecorder(final long firstSequence, final long expectedIntervalNs, final int seconds)
    {
        this.firstSequence = firstSequence;
        this.expectedIntervalNs = expectedIntervalNs;
        this.intervals = new Histogram[seconds];
        for (int i = 0; i < seconds; i++)
        {
            intervals[i] = new Histogram(HIGHEST_TRACKABLE_NS, 3);
        }
    }

    /**
     * Called by the recording thread as sending begins.
     *
     * @param startNs the first frame's scheduled send time, on {@code System.nanoTime()}'s clock.
     */
    void start(final long startNs)
    {
        this.startNs = startNs;
    }

    /**
     * @return the time given to {@link #start}.
     */
    long startNs()
    {
        return startNs;
    }

    /**
     * Record one returned frame, into the first second's histogram.
     *
     * @param sequence    its sequence number.
     * @param roundTripNs receive time minus send time.
     */
    void record(final long sequence, final long roundTripNs)
    {
        record(sequence, roundTripNs, startNs);
    }

    /**
     * Record one returned frame.
     *
     * @param sequence    its sequence number.
     * @param roundTripNs receive time minus send time.
     * @param receivedNs  receive time, which picks the second's histogram.
     */
    void record(final long sequence, final long roundTripNs, final long receivedNs)
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
        final long second = (receivedNs - startNs) / SECOND_NS;
        final int last = intervals.length - 1;
        // an expected interval of 0 adds nothing
        intervals[second < 0 ? 0 : second > last ? last : (int)second]
            .recordValueWithExpectedInterval(value, expectedIntervalNs);
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
     * @return the round trips, in ns, corrected for coordinated omission, a histogram per second from
     * {@link #start}; to be read once recording has ended.
     */
    Histogram[] intervals()
    {
        return intervals;
    }

    /**
     * @return every second's round trips together; once recording has ended.
     */
    Histogram histogram()
    {
        final Histogram total = new Histogram(HIGHEST_TRACKABLE_NS, 3);
        for (final Histogram interval : intervals)
        {
            total.add(interval);
        }

        return total;
    }
}
