package io.sluice.pipeline.profile;

import io.sluice.pipeline.PipelineConfig;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a NIC profile says about running Sluice on one kind of interface: how many queues, the AF_XDP socket and UMEM
 * settings, where the XDP program runs, and the pipeline's threads. Immutable; read one with {@link ProfileFile}.
 * <p>
 * Every field has a value, the file's or the built-in default; {@link #has(String)} tells which, so a command line
 * option can override what the file left out and a caller can report what the file chose.
 */
public final class Profile
{
    /**
     * {@link #queues()} for {@code queues: all}: every queue the interface has, counted when Sluice attaches.
     */
    public static final int ALL_QUEUES = -1;

    /**
     * One queue: what a veth has unless created with more, and the queue every NIC has. A NIC with RSS spreads flows
     * over all its queues, so its profile names more (or {@code all}) or the operator steers the flows to queue 0.
     */
    public static final int QUEUES_DEFAULT = 1;

    /**
     * {@link #mtu()} of a profile that leaves the interface's MTU as it is.
     */
    public static final int MTU_LEAVE = -1;

    /**
     * Largest {@code mtu}: a 9000-byte jumbo MTU with room for the 9216-byte frames switches take.
     */
    public static final int MTU_MAX = 9216;

    /**
     * Smallest {@code mtu}: IPv4's 68.
     */
    public static final int MTU_MIN = 68;

    /**
     * {@link #source()} of {@link #defaults()}.
     */
    public static final String DEFAULTS_SOURCE = "built-in defaults";

    /**
     * Every field {@link #has(String)} knows: the top-level keys and, for the mappings, {@code key.subkey}.
     */
    public static final List<String> FIELDS = ProfileFile.FIELDS;

    private final String source;
    private final String driver;
    private final int queues;
    private final XdpMode xdpMode;
    private final XskConfig xskConfig;
    private final UmemConfig umemConfig;
    private final PipelineConfig pipelineConfig;
    private final HostTuning hostTuning;
    private final int mtu;
    private final MultiBufferPolicy multiBuffer;
    private final Map<String, Location> given;

    Profile(
        final String source,
        final String driver,
        final int queues,
        final XdpMode xdpMode,
        final XskConfig xskConfig,
        final UmemConfig umemConfig,
        final PipelineConfig pipelineConfig,
        final HostTuning hostTuning,
        final int mtu,
        final MultiBufferPolicy multiBuffer,
        final Map<String, Location> given)
    {
        this.mtu = mtu;
        this.multiBuffer = multiBuffer;
        this.source = source;
        this.driver = driver;
        this.queues = queues;
        this.xdpMode = xdpMode;
        this.xskConfig = xskConfig;
        this.umemConfig = umemConfig;
        this.pipelineConfig = pipelineConfig;
        this.hostTuning = hostTuning;
        this.given = new LinkedHashMap<>(given);
    }

    /**
     * @return no file: every field at its built-in default, as {@code ./sluice run} without a profile.
     */
    public static Profile defaults()
    {
        return new Profile(DEFAULTS_SOURCE, null, QUEUES_DEFAULT, XdpMode.NATIVE, XskConfig.defaults(),
            UmemConfig.defaults(), PipelineConfig.defaults(), HostTuning.leaveAll(), MTU_LEAVE, MultiBufferPolicy.AUTO,
            Map.of());
    }

    /**
     * @return the file's name as given to the loader, or {@link #DEFAULTS_SOURCE}.
     */
    public String source()
    {
        return source;
    }

    /**
     * @return the driver the profile is for, as {@code ethtool -i} names it ({@code veth}, {@code mlx5_core}), or
     * null if the profile does not say.
     */
    public String driver()
    {
        return driver;
    }

    /**
     * @return how many queues to receive from, from queue 0 up, or {@link #ALL_QUEUES}.
     */
    public int queues()
    {
        return queues;
    }

    /**
     * @param available queues the interface has (RX queues, or per-queue interrupts found).
     * @return how many queues Sluice receives from: the profile's count, or for {@code all} the ones available.
     */
    public int queueCount(final int available)
    {
        return ALL_QUEUES == queues ? available : queues;
    }

    /**
     * @return where the XDP program runs.
     */
    public XdpMode xdpMode()
    {
        return xdpMode;
    }

    /**
     * @return ring sizes, zero-copy policy, need_wakeup and busy poll; its profile source is this file.
     */
    public XskConfig xskConfig()
    {
        return xskConfig;
    }

    /**
     * @return the MTU the interface is to run at ({@code ./sluice tune} sets it), or {@link #MTU_LEAVE}.
     */
    public int mtu()
    {
        return mtu;
    }

    /**
     * @return whether the sockets take multi-buffer packets.
     */
    public MultiBufferPolicy multiBuffer()
    {
        return multiBuffer;
    }

    /**
     * @param deviceMtu the interface's MTU now.
     * @return the MTU Sluice must handle: the profile's or the interface's, whichever is larger (the interface
     * delivers what its MTU lets through, and {@code tune} raises it to the profile's).
     */
    public int effectiveMtu(final int deviceMtu)
    {
        return Math.max(mtu, deviceMtu);
    }

    /**
     * @param deviceMtu the interface's MTU now.
     * @param umem      the frames Sluice runs with (the profile's, or with a command line's frame size).
     * @return whether the sockets bind with {@code XDP_USE_SG}: {@code multi_buffer} decided for the
     * {@link #effectiveMtu} with its Ethernet header and a VLAN tag, against what one frame holds.
     */
    public boolean multiBuffer(final int deviceMtu, final UmemConfig umem)
    {
        return multiBuffer.resolve(effectiveMtu(deviceMtu) + ProfileCheck.L2_OVERHEAD_BYTES, umem.packetRoomBytes());
    }

    /**
     * @return frame size, headroom and hugepages; its profile source is this file. The frame count is the default:
     * the processor raises it to what the rings hold.
     */
    public UmemConfig umemConfig()
    {
        return umemConfig;
    }

    /**
     * @return threading mode, cores, handlers and idle strategy; the rest at their defaults.
     */
    public PipelineConfig pipelineConfig()
    {
        return pipelineConfig;
    }

    /**
     * @return what {@code ./sluice tune} applies to the host and {@code ./sluice doctor} checks.
     */
    public HostTuning hostTuning()
    {
        return hostTuning;
    }

    /**
     * @param field as {@link #has(String)} takes it.
     * @return the file and line that set the field (a profile it extends, when it did not set it itself), or null
     * if no file did.
     */
    public Location where(final String field)
    {
        checkField(field);

        return lookup(field);
    }

    /**
     * A problem with a field found once the interface is known (a queue count beyond its channels, a frame too
     * small for its MTU), reported as a file problem is: at the line that set the field.
     *
     * @param field   the field, as {@link #has(String)} takes it.
     * @param why     what is wrong.
     * @param allowed the values that would do.
     * @return {@code FILE:LINE: field: why (allowed: values)}, at the profile itself when no file set the field.
     */
    public ProfileException problem(final String field, final String why, final String allowed)
    {
        final Location location = where(field);
        return new ProfileException(null == location ? source : location.source(),
            null == location ? 0 : location.line(), field, field + ": " + why + " (allowed: " + allowed + ")");
    }

    Map<String, Location> locations()
    {
        return given;
    }

    /**
     * @param field a top-level key ({@code queues}, {@code threading}) or {@code key.subkey}
     *              ({@code threading.cores}), as {@link #FIELDS} lists them.
     * @return true if the file gave the field a value; for a mapping such as {@code rings}, if it gave any of its
     * keys one.
     * @throws IllegalArgumentException for a field profiles do not have, so a misspelt override fails loudly.
     */
    public boolean has(final String field)
    {
        checkField(field);

        return null != lookup(field);
    }

    private static void checkField(final String field)
    {
        if (!FIELDS.contains(field))
        {
            throw new IllegalArgumentException("profiles have no field '" + field + "'; fields are " +
                String.join(", ", FIELDS));
        }
    }

    /**
     * The field's own location, else the first of its keys' (every stored location is non-null).
     */
    private Location lookup(final String field)
    {
        final Location exact = given.get(field);
        if (null != exact)
        {
            return exact;
        }
        for (final Map.Entry<String, Location> entry : given.entrySet())
        {
            if (entry.getKey().startsWith(field + "."))
            {
                return entry.getValue();
            }
        }

        return null;
    }

    /**
     * @return e.g. {@code veth.yaml: driver veth, queues 1, rings rx 2048 tx 2048 fill 4096 completion 2048, ...}.
     */
    @Override
    public String toString()
    {
        return source + ": driver " + (null == driver ? "any" : driver) +
            ", queues " + (ALL_QUEUES == queues ? "all" : Integer.toString(queues)) +
            ", rings rx " + xskConfig.rxRingSize() + " tx " + xskConfig.txRingSize() +
            " fill " + xskConfig.fillRingSize() + " completion " + xskConfig.completionRingSize() +
            ", frame " + umemConfig.frameSizeBytes() + " headroom " + umemConfig.headroomBytes() +
            ", zero_copy " + xskConfig.zeroCopy().label() +
            ", xdp_mode " + xdpMode.label() +
            ", need_wakeup " + xskConfig.needWakeup() +
            ", busy_poll " + (xskConfig.busyPoll().enabled() ? "prefer " + xskConfig.busyPoll().preferBusyPoll() +
            " usecs " + xskConfig.busyPoll().busyPollUs() + " budget " + xskConfig.busyPoll().budget() : "off") +
            ", hugepages " + umemConfig.hugePages().label() +
            ", threading " + pipelineConfig.describe() +
            ", mtu " + (MTU_LEAVE == mtu ? "leave" : Integer.toString(mtu)) +
            ", multi_buffer " + multiBuffer.label();
    }

    /**
     * Where a field was set.
     *
     * @param source the file, as the loader was given it.
     * @param line   1-based line.
     */
    public record Location(String source, int line)
    {
        @Override
        public String toString()
        {
            return source + ":" + line;
        }
    }
}
