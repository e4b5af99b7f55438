package io.sluice.xsk.umem;

/**
 * A debug check of frame ownership: the place of every frame, one byte each, checked on every move. A move from a
 * place the frame is not in (a frame filled twice, a completion for a frame never sent, an RX descriptor for a frame
 * the kernel was never given) is a violation: counted, the first one described, never thrown on the data path.
 * <p>
 * Costs one array load and store per frame moved; off unless {@link UmemConfig#trackFrames()}.
 */
public final class FrameTracker
{
    public static final byte FREE = 0;
    public static final byte FILL = 1;
    public static final byte APPLICATION = 2;
    public static final byte TX = 3;

    private static final String[] NAMES = {"free", "fill", "application", "tx"};

    private final byte[] places;
    private final int frameShift;
    private final long sizeBytes;
    private long violations;
    private String firstViolation;

    FrameTracker(final int frameCount, final int frameSizeBytes)
    {
        places = new byte[frameCount];
        frameShift = Integer.numberOfTrailingZeros(frameSizeBytes);
        sizeBytes = (long)frameCount * frameSizeBytes;
    }

    /**
     * Record a frame's move.
     *
     * @param address any UMEM address inside the frame.
     * @param from    where it must be now.
     * @param to      where it goes.
     */
    public void move(final long address, final byte from, final byte to)
    {
        if (address < 0 || address >= sizeBytes)
        {
            violation("address " + address + " is outside the UMEM of " + sizeBytes + " bytes (moving " +
                NAMES[from] + " -> " + NAMES[to] + ")");
            return;
        }
        final int frame = (int)(address >>> frameShift);
        final byte place = places[frame];
        if (place != from)
        {
            violation("frame " + frame + " (address " + address + ") moved " + NAMES[from] + " -> " + NAMES[to] +
                " but it was in " + NAMES[place]);
        }
        places[frame] = to;
    }

    /**
     * @param place one of {@link #FREE}, {@link #FILL}, {@link #APPLICATION}, {@link #TX}.
     * @return how many frames the tracker has there.
     */
    public int count(final byte place)
    {
        int count = 0;
        for (final byte p : places)
        {
            if (p == place)
            {
                count++;
            }
        }

        return count;
    }

    /**
     * @return moves from a place the frame was not in.
     */
    public long violations()
    {
        return violations;
    }

    /**
     * @return a description of the first violation, or null.
     */
    public String firstViolation()
    {
        return firstViolation;
    }

    private void violation(final String what)
    {
        if (0 == violations++)
        {
            firstViolation = what;
        }
    }
}
