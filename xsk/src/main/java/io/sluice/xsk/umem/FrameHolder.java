package io.sluice.xsk.umem;

/**
 * Something that moves a UMEM's frames (an AF_XDP socket) and counts, from its own plain counters, how many it
 * has given to the kernel and to the application.
 */
public interface FrameHolder
{
    /**
     * @return frames given to the kernel to receive into and not yet read back from the RX ring.
     */
    long fillFrames();

    /**
     * @return frames given to the kernel to send and not yet read back from the completion ring.
     */
    long txFrames();

    /**
     * @return frames this holder handed to the application minus those the application handed back through it;
     * negative when the application passes frames from one holder to another.
     */
    long applicationFrames();
}
