package io.sluice.xsk.umem;

/**
 * How a {@link Umem} is laid out. Immutable; {@code withX} methods return a copy.
 *
 * @param frameSizeBytes  bytes per frame (chunk), 2048 or 4096.
 * @param frameCount      number of frames.
 * @param headroomBytes   bytes the kernel leaves free before each received frame, for user-space headers.
 * @param hugePages       whether to back the UMEM with 2 MiB hugepages.
 * @param trackFrames     whether to keep a {@link FrameTracker}, which checks every move of every frame.
 * @param profileSource   where these values came from (a profile file), named in errors.
 */
public record UmemConfig(
    int frameSizeBytes,
    int frameCount,
    int headroomBytes,
    HugePagePolicy hugePages,
    boolean trackFrames,
    String profileSource)
{
    public static final String FRAME_SIZE_PROP_NAME = "sluice.umem.frame.size";

    /**
     * One frame per 4 KiB page, libxdp's default: room for a 3.8 KiB frame after the kernel's 256-byte headroom.
     */
    public static final int FRAME_SIZE_DEFAULT = 4096;

    public static final String FRAME_COUNT_PROP_NAME = "sluice.umem.frame.count";

    /**
     * A frame for every slot of one socket's default fill (4096) and TX (2048) rings plus as many again in the
     * pool and completion ring, so neither receive nor transmit starves the other.
     */
    public static final int FRAME_COUNT_DEFAULT = 8192;

    public static final String HEADROOM_PROP_NAME = "sluice.umem.headroom";

    /**
     * No user headroom: the kernel already leaves {@code XDP_PACKET_HEADROOM} (256 bytes) before each frame.
     */
    public static final int HEADROOM_DEFAULT = 0;

    /**
     * The kernel's {@code XDP_PACKET_HEADROOM}: room it keeps in front of every received frame.
     */
    public static final int XDP_PACKET_HEADROOM_BYTES = 256;

    public static final String TRACK_FRAMES_PROP_NAME = "sluice.umem.track.frames";

    /**
     * @return bytes of packet one frame receives: the frame less the kernel's {@link #XDP_PACKET_HEADROOM_BYTES}
     * and the user headroom ({@code xsk_pool_get_rx_frame_size}).
     */
    public int packetRoomBytes()
    {
        return frameSizeBytes - XDP_PACKET_HEADROOM_BYTES - headroomBytes;
    }

    public UmemConfig
    {
        if (frameSizeBytes != 2048 && frameSizeBytes != 4096)
        {
            throw new IllegalArgumentException(
                "frame size must be 2048 or 4096 bytes, not " + frameSizeBytes + where(profileSource));
        }
        if (frameCount <= 0)
        {
            throw new IllegalArgumentException("frame count must be positive, not " + frameCount +
                where(profileSource));
        }
        if (headroomBytes < 0 || headroomBytes > frameSizeBytes - 256 - 64)
        {
            throw new IllegalArgumentException("headroom must be 0 to " + (frameSizeBytes - 256 - 64) +
                " bytes with " + frameSizeBytes + "-byte frames, not " + headroomBytes + where(profileSource));
        }
        if ((long)frameCount * frameSizeBytes > (1L << 40))
        {
            throw new IllegalArgumentException("a UMEM of " + frameCount + " frames of " + frameSizeBytes +
                " bytes is over 1 TiB" + where(profileSource));
        }
        if (null == hugePages)
        {
            throw new IllegalArgumentException("hugepages policy missing" + where(profileSource));
        }
    }

    /**
     * @return the defaults, overridden by the system properties named by the {@code *_PROP_NAME} constants.
     */
    public static UmemConfig defaults()
    {
        return new UmemConfig(
            Integer.getInteger(FRAME_SIZE_PROP_NAME, FRAME_SIZE_DEFAULT),
            Integer.getInteger(FRAME_COUNT_PROP_NAME, FRAME_COUNT_DEFAULT),
            Integer.getInteger(HEADROOM_PROP_NAME, HEADROOM_DEFAULT),
            HugePagePolicy.OFF,
            Boolean.getBoolean(TRACK_FRAMES_PROP_NAME),
            null);
    }

    public UmemConfig withFrameSize(final int bytes)
    {
        return new UmemConfig(bytes, frameCount, headroomBytes, hugePages, trackFrames, profileSource);
    }

    public UmemConfig withFrameCount(final int count)
    {
        return new UmemConfig(frameSizeBytes, count, headroomBytes, hugePages, trackFrames, profileSource);
    }

    public UmemConfig withHeadroom(final int bytes)
    {
        return new UmemConfig(frameSizeBytes, frameCount, bytes, hugePages, trackFrames, profileSource);
    }

    public UmemConfig withHugePages(final HugePagePolicy policy)
    {
        return new UmemConfig(frameSizeBytes, frameCount, headroomBytes, policy, trackFrames, profileSource);
    }

    public UmemConfig withFrameTracking(final boolean track)
    {
        return new UmemConfig(frameSizeBytes, frameCount, headroomBytes, hugePages, track, profileSource);
    }

    public UmemConfig withProfileSource(final String source)
    {
        return new UmemConfig(frameSizeBytes, frameCount, headroomBytes, hugePages, trackFrames, source);
    }

    /**
     * @return bytes of UMEM.
     */
    public long sizeBytes()
    {
        return (long)frameCount * frameSizeBytes;
    }

    static String where(final String profileSource)
    {
        return null == profileSource ? "" : " (" + profileSource + ")";
    }
}
