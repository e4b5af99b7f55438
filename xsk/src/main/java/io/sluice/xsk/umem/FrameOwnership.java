package io.sluice.xsk.umem;

/**
 * Where a UMEM's frames are, at one instant. Read on the thread that moves the frames, or once they are still,
 * for an exact answer.
 *
 * @param free        in the pool.
 * @param fill        given to the kernel to receive into: fill ring, kernel, unread RX ring.
 * @param application held by the application.
 * @param tx          given to the kernel to send: TX ring, in flight, unread completion ring.
 * @param total       frames in the UMEM.
 */
public record FrameOwnership(long free, long fill, long application, long tx, long total)
{
    /**
     * @return true if every frame is counted in exactly one place.
     */
    public boolean balanced()
    {
        return free >= 0 && fill >= 0 && application >= 0 && tx >= 0 && free + fill + application + tx == total;
    }

    /**
     * @throws IllegalStateException with the breakdown if the places do not add up to the total.
     */
    public void verify()
    {
        if (!balanced())
        {
            throw new IllegalStateException("UMEM frames do not add up: " + this);
        }
    }

    @Override
    public String toString()
    {
        return "free=" + free + " fill=" + fill + " application=" + application + " tx=" + tx + " total=" + total;
    }
}
