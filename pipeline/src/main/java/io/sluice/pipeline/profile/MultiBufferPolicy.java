package io.sluice.pipeline.profile;

/**
 * A profile's {@code multi_buffer}: whether the sockets bind with {@code XDP_USE_SG}, so that a packet larger than
 * one UMEM frame (a jumbo frame) arrives as a chain of frames instead of being dropped by the kernel.
 */
public enum MultiBufferPolicy
{
    /**
     * On when the interface's MTU (or the profile's {@code mtu}) needs more than one frame, off otherwise.
     */
    AUTO("auto"),
    /**
     * Always: every socket takes multi-buffer packets.
     */
    ON("on"),
    /**
     * Never: a packet must fit one frame; a larger one is a counted kernel drop, and the profile check refuses an
     * MTU the frame cannot hold.
     */
    OFF("off");

    /**
     * The profile key.
     */
    public static final String PROFILE_KEY = "multi_buffer";

    private final String label;

    MultiBufferPolicy(final String label)
    {
        this.label = label;
    }

    /**
     * @return as written in a profile.
     */
    public String label()
    {
        return label;
    }

    /**
     * @param neededBytes bytes the largest frame takes (MTU, Ethernet header and a VLAN tag).
     * @param roomBytes   bytes of packet one UMEM frame holds.
     * @return whether to bind with {@code XDP_USE_SG}.
     */
    public boolean resolve(final int neededBytes, final int roomBytes)
    {
        return switch (this)
        {
            case ON -> true;
            case OFF -> false;
            case AUTO -> neededBytes > roomBytes;
        };
    }
}
