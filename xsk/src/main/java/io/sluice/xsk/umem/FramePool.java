package io.sluice.xsk.umem;

/**
 * The UMEM's free frames: a stack of frame start addresses. Used by one thread at a time; on the data path only
 * by a transmitter that builds frames from scratch.
 */
public final class FramePool
{
    private final long[] stack;
    private final long frameMask;
    private final FrameTracker tracker;
    private int count;
    private long toApplication;
    private long fromApplication;

    FramePool(final int frameCount, final int frameSizeBytes, final FrameTracker tracker)
    {
        stack = new long[frameCount];
        frameMask = ~(frameSizeBytes - 1L);
        this.tracker = tracker;
        for (int i = 0; i < frameCount; i++)
        {
            // lowest addresses on top, so frames are handed out in address order
            stack[i] = (long)(frameCount - 1 - i) * frameSizeBytes;
        }
        count = frameCount;
    }

    /**
     * @return free frames.
     */
    public int available()
    {
        return count;
    }

    /**
     * Take free frames for the application (to build frames to send).
     *
     * @param addresses receives frame start addresses.
     * @param offset    first index of {@code addresses} to write.
     * @param max       most frames wanted.
     * @return frames taken.
     */
    public int allocate(final long[] addresses, final int offset, final int max)
    {
        final int n = Math.min(max, count);
        for (int i = 0; i < n; i++)
        {
            final long address = stack[--count];
            addresses[offset + i] = address;
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.FREE, FrameTracker.APPLICATION);
            }
        }
        toApplication += n;

        return n;
    }

    /**
     * Return frames the application holds to the pool.
     *
     * @param addresses any address inside each frame.
     * @param offset    first index of {@code addresses} to read.
     * @param length    frames to return.
     */
    public void release(final long[] addresses, final int offset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            final long address = addresses[offset + i] & frameMask;
            if (null != tracker)
            {
                tracker.move(address, FrameTracker.APPLICATION, FrameTracker.FREE);
            }
            stack[count++] = address;
        }
        fromApplication += length;
    }

    /**
     * Take one frame for a ring (no application ownership on the way).
     *
     * @param to the place it goes, for the tracker.
     * @return its start address, or -1 if the pool is empty.
     */
    public long take(final byte to)
    {
        if (0 == count)
        {
            return -1;
        }
        final long address = stack[--count];
        if (null != tracker)
        {
            tracker.move(address, FrameTracker.FREE, to);
        }

        return address;
    }

    /**
     * Put back one frame coming straight from a ring.
     *
     * @param address any address inside the frame.
     * @param from    the place it comes from, for the tracker.
     */
    public void put(final long address, final byte from)
    {
        final long start = address & frameMask;
        if (null != tracker)
        {
            tracker.move(start, from, FrameTracker.FREE);
        }
        stack[count++] = start;
    }

    long applicationFrames()
    {
        return toApplication - fromApplication;
    }
}
