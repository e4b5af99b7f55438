package io.sluice.pipeline.profile;

import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuList;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The checks a profile can only have once the interface and host are known: queues against the device's channels,
 * the frame against its MTU, steered flows against the queues used, and CPUs against the ones online. Each problem
 * is one line at the field's file and line, as a file error is.
 */
public final class ProfileCheck
{
    /**
     * What the kernel keeps before every received frame in a UMEM ({@code XDP_PACKET_HEADROOM}).
     */
    public static final int XDP_PACKET_HEADROOM_BYTES = UmemConfig.XDP_PACKET_HEADROOM_BYTES;

    /**
     * What a frame carries beyond the MTU: a 14-byte Ethernet header and one 4-byte VLAN tag, which Sluice parses
     * and the NIC leaves in the frame when VLAN stripping is off.
     */
    public static final int L2_OVERHEAD_BYTES = 18;

    /**
     * Most buffers one packet may span: the kernel's copy-mode TX path takes a linear part and
     * {@code MAX_SKB_FRAGS} (17) fragments.
     */
    public static final int MAX_BUFFERS = 18;

    private ProfileCheck()
    {
    }

    /**
     * @param profile    the profile.
     * @param device     the interface Sluice would use.
     * @param onlineCpus the host's online CPUs.
     * @return one {@link ProfileException} per problem; empty when the profile fits.
     */
    public static List<ProfileException> check(final Profile profile, final NetDevice device, final int[] onlineCpus)
    {
        final List<ProfileException> problems = new ArrayList<>();
        final int queues = profile.queueCount(device.rxQueues());
        final long channels = profile.hostTuning().channels();
        if (HostTuning.LEAVE != channels && queues > channels)
        {
            problems.add(profile.problem("queues", queues + " is more than the " + channels + " channels the " +
                "profile sets", "1.." + channels + ", or all"));
        }
        else if (queues > device.rxQueues())
        {
            problems.add(profile.problem("queues", queues + " is more than " + device.name() + "'s " +
                device.rxQueues() + " RX queue" + (1 == device.rxQueues() ? "" : "s"),
                "1.." + device.rxQueues() + ", or all; or raise the channels first (./sluice tune --apply, " +
                "ethtool -L)"));
        }

        final int frameBytes = profile.umemConfig().frameSizeBytes();
        final int headroomBytes = profile.umemConfig().headroomBytes();
        final int roomBytes = profile.umemConfig().packetRoomBytes();
        final int mtu = profile.effectiveMtu(device.mtu());
        final String whose = profile.mtu() > device.mtu() ? "the profile's mtu " + mtu :
            device.name() + "'s MTU " + mtu;
        final int neededBytes = mtu + L2_OVERHEAD_BYTES;
        final boolean multiBuffer = profile.multiBuffer(device.mtu(), profile.umemConfig());
        if (!multiBuffer && roomBytes < neededBytes)
        {
            final String field = profile.has(MultiBufferPolicy.PROFILE_KEY) ? MultiBufferPolicy.PROFILE_KEY :
                profile.has("mtu") && profile.mtu() > device.mtu() ? "mtu" :
                profile.has("frame.headroom") && !profile.has("frame.size") ? "frame.headroom" : "frame.size";
            problems.add(profile.problem(field, frameBytes + "-byte frames hold " + roomBytes +
                " bytes of packet after the kernel's " + XDP_PACKET_HEADROOM_BYTES + " and " + headroomBytes +
                " bytes of user headroom, but " + whose + " needs " + neededBytes +
                " (with the Ethernet header and a VLAN tag) and multi_buffer is off",
                "multi_buffer: auto or on (a jumbo frame then spans several frames), a frame with room for MTU + " +
                L2_OVERHEAD_BYTES + ", or an MTU up to " + (roomBytes - L2_OVERHEAD_BYTES) + " (ip link set dev " +
                device.name() + " mtu N)"));
        }
        else if (multiBuffer && (neededBytes + roomBytes - 1) / roomBytes > MAX_BUFFERS)
        {
            problems.add(profile.problem(profile.has("mtu") ? "mtu" : "frame.size", whose + " needs " +
                neededBytes + " bytes, " + (neededBytes + roomBytes - 1) / roomBytes + " frames of " + roomBytes +
                ", more than the " + MAX_BUFFERS + " buffers a packet may span (the kernel's MAX_SKB_FRAGS + 1)",
                "an MTU up to " + (MAX_BUFFERS * roomBytes - L2_OVERHEAD_BYTES) + ", or 4096-byte frames"));
        }

        for (final FlowSteering flow : profile.hostTuning().flows())
        {
            if (flow.queue() >= queues)
            {
                problems.add(new ProfileException(location(profile, "flow_steering").source(), flow.line(),
                    "flow_steering", "flow_steering: queue " + flow.queue() + " is not one Sluice receives from " +
                    "(queues 0.." +
                    (queues - 1) + ") (allowed: 0.." + (queues - 1) + ")"));
            }
        }

        offline(profile, "threading.cores", profile.pipelineConfig().cores(), onlineCpus, problems);
        offline(profile, "irq.cores", profile.hostTuning().irqCores(), onlineCpus, problems);

        return problems;
    }

    private static void offline(
        final Profile profile,
        final String field,
        final int[] cores,
        final int[] onlineCpus,
        final List<ProfileException> problems)
    {
        for (final int cpu : cores)
        {
            if (Arrays.stream(onlineCpus).noneMatch((online) -> online == cpu))
            {
                problems.add(profile.problem(field, "CPU " + cpu + " is not online here",
                    "online CPUs " + CpuList.format(onlineCpus)));
                return;
            }
        }
    }

    private static Profile.Location location(final Profile profile, final String field)
    {
        final Profile.Location location = profile.where(field);
        return null == location ? new Profile.Location(profile.source(), 0) : location;
    }
}
