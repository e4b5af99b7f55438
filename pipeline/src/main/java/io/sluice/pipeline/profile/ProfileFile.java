package io.sluice.pipeline.profile;

import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.ThreadingMode;
import io.sluice.pipeline.yaml.ConfigFileException;
import io.sluice.pipeline.yaml.FieldReader;
import io.sluice.pipeline.yaml.YamlReader;
import io.sluice.xsk.socket.BusyPoll;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.CpuList;
import io.sluice.xsk.xdp.XdpMode;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a NIC profile: the human-edited YAML, one per driver, that says how Sluice runs on that kind of interface,
 * into a {@link Profile}. Every key, its allowed values and default, and the rules ({@code extends}, CPU lists,
 * messages) are in {@code docs/profile-format.md}; the shipped profiles are in {@code nic-profiles/}.
 * <p>
 * This class reads the file, resolves {@code extends}, and reads the keys that configure the sockets, the UMEM and
 * the pipeline; {@link HostTuningReader} reads the keys {@code ./sluice tune} applies to the host. An invalid file
 * throws {@link ProfileException} with one line, {@code FILE:LINE: field: why (allowed: values)}.
 */
public final class ProfileFile
{
    /**
     * Smallest ring: one RX batch ({@link PipelineConfig#RX_BATCH_DEFAULT}); a smaller ring could not hold one
     * poll's worth of frames.
     */
    public static final int RING_SIZE_MIN = 64;

    /**
     * Largest ring: twice the largest hardware RX ring common NICs offer (8,192 descriptors on mlx5 and ice), the
     * fill ring's size against such a ring. A larger ring holds more frames in flight without absorbing a burst the
     * hardware ring could not.
     */
    public static final int RING_SIZE_MAX = 16384;

    /**
     * Highest CPU number: as {@code --cores} takes them ({@link CpuList#CPU_MAX}).
     */
    public static final int CPU_MAX = CpuList.CPU_MAX;

    /**
     * Most queues: one per CPU, the most any driver sets up.
     */
    public static final int QUEUES_MAX = CPU_MAX + 1;

    /**
     * Most handlers: every CPU but the receiver's and the transmitter's.
     */
    public static final int HANDLERS_MAX = CPU_MAX + 1 - 2;

    /**
     * Longest busy poll: one second. {@code SO_BUSY_POLL} is in microseconds, and a longer value is a number in the
     * wrong unit, not a setting.
     */
    public static final int BUSY_POLL_USECS_MAX = 1_000_000;

    /**
     * Largest busy-poll budget: the kernel refuses {@code SO_BUSY_POLL_BUDGET} above {@code U16_MAX}.
     */
    public static final int BUSY_POLL_BUDGET_MAX = 65535;

    /**
     * Most hardware descriptors {@code nic_rings} takes: beyond what any driver offers (mlx5 and ice top out at
     * 8,192, ixgbe at 4,096), low enough to catch a typo. The driver itself refuses what it cannot do.
     */
    public static final int NIC_RING_MAX = 65536;

    /**
     * Most {@code napi_defer_hard_irqs}: the kernel refuses more than {@code S32_MAX}.
     */
    public static final long NAPI_DEFER_MAX = Integer.MAX_VALUE;

    /**
     * Longest {@code gro_flush_timeout}: one second in nanoseconds; a longer value is a number in the wrong unit.
     */
    public static final long GRO_FLUSH_TIMEOUT_MAX_NS = 1_000_000_000L;

    static final List<String> TOP_KEYS = List.of(
        "extends", "driver", "queues", "channels", "rings", "frame", "zero_copy", "zero_copy_since", "xdp_mode",
        "need_wakeup", "busy_poll", "hugepages", "threading", "nic_rings", "irq", "offloads", "flow_steering", "mtu",
        "multi_buffer");
    static final List<String> RINGS_KEYS = List.of("rx", "tx", "fill", "completion");
    static final List<String> FRAME_KEYS = List.of("size", "headroom");
    static final List<String> BUSY_POLL_KEYS = List.of("prefer", "usecs", "budget", "napi_defer_hard_irqs",
        "gro_flush_timeout", "sysctl_busy_poll", "sysctl_busy_read");
    static final List<String> THREADING_KEYS = List.of("mode", "cores", "handlers", "idle");
    static final List<String> NIC_RINGS_KEYS = List.of("rx", "tx");
    static final List<String> IRQ_KEYS = List.of("policy", "cores");
    static final List<String> OFFLOADS_KEYS = List.of("off", "on");
    static final List<String> FLOW_KEYS = List.of("flow", "src_ip", "dst_ip", "src_port", "dst_port", "queue");
    static final List<String> FIELDS = fields();

    /**
     * What {@code threading.cores} and {@code irq.cores} allow, for messages.
     */
    static final String CORES_ALLOWED = "CPUs 0.." + CPU_MAX + ", each once, as a list [1, 2] or \"0-3\"";
    static final String STAGE_CORES_ALLOWED =
        "CPUs 0.." + CPU_MAX + " in stage order, stages may share one, as a list [1, 2] or \"0-3\"";

    /**
     * The least room left for the packet after the kernel's {@link ProfileCheck#XDP_PACKET_HEADROOM_BYTES}, as
     * {@link UmemConfig} subtracts them from the frame to bound the headroom.
     */
    private static final int MIN_PACKET_ROOM_BYTES = 64;

    private static final Pattern DRIVER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,30}");
    private static final Pattern PROFILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final String RING_ALLOWED = "powers of two " + RING_SIZE_MIN + ".." + RING_SIZE_MAX;
    private static final String QUEUES_ALLOWED = "a count 1.." + QUEUES_MAX + ", or all";

    private final String source;
    private final Path directory;
    private final Path shippedDirectory;
    private final List<Path> chain;
    private final YamlReader reader;
    private final FieldReader values;
    private final HostTuningReader hostReader;
    private final Map<String, Profile.Location> given = new LinkedHashMap<>();

    private ProfileFile(final String source, final Path directory, final Path shippedDirectory, final List<Path> chain)
    {
        this.source = source;
        this.directory = directory;
        this.shippedDirectory = shippedDirectory;
        this.chain = chain;
        this.reader = new YamlReader(source, ProfileException::new);
        this.values = new FieldReader(reader);
        this.hostReader = new HostTuningReader(reader, values, this::mark);
    }

    /**
     * Read a profile file. {@code extends: NAME} looks for {@code NAME.yaml} beside the file, then among the
     * shipped profiles ({@link ProfileCatalog#shippedDirectory()}).
     *
     * @param path the file; its name in messages and in {@link Profile#source()} is {@code path.toString()}.
     * @return the profile.
     * @throws ProfileException with one line, {@code FILE:LINE: problem}, or {@code FILE: cannot read: why}.
     */
    public static Profile load(final Path path)
    {
        return load(path, ProfileCatalog.shippedDirectory());
    }

    /**
     * Read a profile file, with {@code extends} resolved against a given folder of shipped profiles.
     *
     * @param path             the file.
     * @param shippedDirectory where {@code extends: NAME} looks after the file's own folder, or null.
     * @return the profile.
     * @throws ProfileException with one line, {@code FILE:LINE: problem}, or {@code FILE: cannot read: why}.
     */
    public static Profile load(final Path path, final Path shippedDirectory)
    {
        return load(path, shippedDirectory, List.of());
    }

    /**
     * Read a profile from text, as from a file in the current folder.
     *
     * @param source name of the file to report in messages, e.g. {@code veth.yaml}.
     * @param yaml   the file's text.
     * @return the profile.
     * @throws ProfileException with one line, {@code FILE:LINE: problem}.
     */
    public static Profile parse(final String source, final String yaml)
    {
        return new ProfileFile(source, Path.of("."), ProfileCatalog.shippedDirectory(), List.of()).read(yaml);
    }

    private static Profile load(final Path path, final Path shippedDirectory, final List<Path> chain)
    {
        final String yaml = YamlReader.readFile(path, ProfileException::new);
        final List<Path> extended = new ArrayList<>(chain);
        extended.add(path.toAbsolutePath().normalize());
        final Path parent = path.toAbsolutePath().getParent();

        return new ProfileFile(path.toString(), null == parent ? Path.of(".") : parent, shippedDirectory,
            List.copyOf(extended)).read(yaml);
    }

    private Profile read(final String yaml)
    {
        final MappingNode root = reader.composeMapping(yaml, TOP_KEYS);
        final Map<String, NodeTuple> keys = reader.keys(root, "", TOP_KEYS);
        final NodeTuple extendsKey = keys.get("extends");
        final Profile base = null == extendsKey ? Profile.defaults() : base(extendsKey.getValueNode());
        given.putAll(base.locations());

        String driver = base.driver();
        int queues = base.queues();
        XdpMode xdpMode = base.xdpMode();
        XskConfig xsk = base.xskConfig();
        UmemConfig umem = base.umemConfig();
        PipelineConfig pipeline = base.pipelineConfig();
        HostTuning host = base.hostTuning();
        int mtu = base.mtu();
        MultiBufferPolicy multiBuffer = base.multiBuffer();
        for (final Map.Entry<String, NodeTuple> entry : keys.entrySet())
        {
            final String key = entry.getKey();
            final Node keyNode = entry.getValue().getKeyNode();
            final Node value = entry.getValue().getValueNode();
            try
            {
                switch (key)
                {
                    case "extends" ->
                    {
                        // read first, above: every other key overrides the base
                    }
                    case "driver" -> driver = driver(value);
                    case "queues" -> queues = queues(value);
                    case "channels" -> host = host.withChannels(hostReader.channels(value));
                    case "rings" -> xsk = rings(value, xsk);
                    case "frame" -> umem = frame(value, umem);
                    case "zero_copy" -> xsk = xsk.withZeroCopy(
                        values.choice(value, key, ZeroCopyPolicy.values(), ZeroCopyPolicy::label));
                    case "xdp_mode" -> xdpMode = values.choice(value, key, XdpMode.values(), XdpMode::label);
                    case "need_wakeup" -> xsk = xsk.withNeedWakeup(values.bool(value, key));
                    case "busy_poll" ->
                    {
                        final BusyPollSection section = busyPoll(value, xsk.busyPoll(), host);
                        xsk = xsk.withBusyPoll(section.busyPoll());
                        host = section.host();
                    }
                    case "hugepages" -> umem = umem.withHugePages(
                        values.choice(value, key, HugePagePolicy.values(), HugePagePolicy::label));
                    case "threading" -> pipeline = threading(value, pipeline);
                    case "zero_copy_since" -> host = host.withZeroCopySince(hostReader.zeroCopySince(value));
                    case "nic_rings" -> host = hostReader.nicRings(value, host);
                    case "irq" -> host = hostReader.irq(value, host);
                    case "offloads" -> host = hostReader.offloads(value, host);
                    case "flow_steering" -> host = host.withFlows(hostReader.flows(value));
                    case "mtu" -> mtu = mtu(value);
                    case "multi_buffer" -> multiBuffer =
                        values.choice(value, key, MultiBufferPolicy.values(), MultiBufferPolicy::label);
                    default -> throw new IllegalStateException(key);
                }
            }
            catch (final ConfigFileException ex)
            {
                throw ex;
            }
            catch (final IllegalArgumentException ex)
            {
                // the configs' own checks: the pipeline's on threading (cores for the mode), and any the values
                // checked here do not foresee
                throw reader.error(keyNode, key + ": " + ex.getMessage());
            }
            if (sectionKeys(key).isEmpty() && !"extends".equals(key))
            {
                mark(key, keyNode);
            }
        }

        return new Profile(source, driver, queues, xdpMode, xsk.withProfileSource(source),
            umem.withProfileSource(source), pipeline, host, mtu, multiBuffer, given);
    }

    private int mtu(final Node value)
    {
        final String allowed = "an MTU " + Profile.MTU_MIN + ".." + Profile.MTU_MAX + ", or leave";
        final String text = values.scalar(value, "mtu", allowed);
        if ("leave".equalsIgnoreCase(text))
        {
            return Profile.MTU_LEAVE;
        }

        return (int)values.number(value, "mtu", Profile.MTU_MIN, Profile.MTU_MAX, allowed);
    }

    // ---------------------------------------------------------------- extends

    private Profile base(final Node value)
    {
        final String allowed = "a shipped profile's name (mlx5), or a path to a profile file";
        final String text = values.scalar(value, "extends", allowed);
        final List<Path> candidates = new ArrayList<>();
        if (text.contains("/") || text.endsWith(".yaml") || text.endsWith(".yml"))
        {
            candidates.add(directory.resolve(text));
        }
        else if (PROFILE_NAME.matcher(text).matches())
        {
            candidates.add(directory.resolve(text + ".yaml"));
            if (null != shippedDirectory)
            {
                candidates.add(shippedDirectory.resolve(text + ".yaml"));
            }
        }
        else
        {
            throw values.problem(value, "extends", "'" + text + "' is not a profile name or path", allowed);
        }
        for (final Path candidate : candidates)
        {
            final Path normal = candidate.toAbsolutePath().normalize();
            if (chain.contains(normal))
            {
                continue;
            }
            if (Files.isRegularFile(candidate))
            {
                return load(candidate, shippedDirectory, chain);
            }
        }
        final boolean cycle = candidates.stream().anyMatch((c) -> chain.contains(c.toAbsolutePath().normalize()));

        throw values.problem(value, "extends", cycle ? "'" + text + "' extends itself, through " +
                String.join(" -> ", chain.stream().map(Path::toString).toList()) :
            "no profile '" + text + "' (looked for " +
                String.join(", ", candidates.stream().map(Path::toString).toList()) + ")", allowed);
    }

    private void mark(final String field, final Node node)
    {
        given.put(field, new Profile.Location(source, YamlReader.line(node)));
    }

    // ---------------------------------------------------------------- keys

    private String driver(final Node value)
    {
        final String allowed = "1-31 letters, digits, '_', '-' or '.', as ethtool -i shows";
        final String text = values.scalar(value, "driver", allowed);
        if (!DRIVER_NAME.matcher(text).matches())
        {
            throw values.problem(value, "driver", "'" + text + "' is not a driver name", allowed);
        }

        return text;
    }

    private int queues(final Node value)
    {
        final String text = values.scalar(value, "queues", QUEUES_ALLOWED);
        if ("all".equalsIgnoreCase(text))
        {
            return Profile.ALL_QUEUES;
        }

        return (int)values.number(value, "queues", 1, QUEUES_MAX, QUEUES_ALLOWED);
    }

    private XskConfig rings(final Node value, final XskConfig defaults)
    {
        int rx = defaults.rxRingSize();
        int tx = defaults.txRingSize();
        int fill = defaults.fillRingSize();
        int completion = defaults.completionRingSize();
        for (final Map.Entry<String, NodeTuple> entry : values.section(value, "rings", RINGS_KEYS).entrySet())
        {
            final String field = "rings." + entry.getKey();
            final int size = ringSize(entry.getValue().getValueNode(), field);
            switch (entry.getKey())
            {
                case "rx" -> rx = size;
                case "tx" -> tx = size;
                case "fill" -> fill = size;
                case "completion" -> completion = size;
                default -> throw new IllegalStateException(field);
            }
            mark(field, entry.getValue().getKeyNode());
        }

        return defaults.withRings(rx, tx, fill, completion);
    }

    private UmemConfig frame(final Node value, final UmemConfig defaults)
    {
        final Map<String, NodeTuple> keys = values.section(value, "frame", FRAME_KEYS);
        int sizeBytes = defaults.frameSizeBytes();
        int headroomBytes = defaults.headroomBytes();
        final NodeTuple size = keys.get("size");
        if (null != size)
        {
            final String allowed = "2048, 4096";
            sizeBytes = (int)values.number(size.getValueNode(), "frame.size", Integer.MIN_VALUE, Integer.MAX_VALUE,
                allowed);
            if (2048 != sizeBytes && 4096 != sizeBytes)
            {
                throw values.problem(size.getValueNode(), "frame.size",
                    FieldReader.text(size.getValueNode()) + " is not a frame size", allowed);
            }
            mark("frame.size", size.getKeyNode());
        }
        final NodeTuple headroom = keys.get("headroom");
        if (null != headroom)
        {
            final int maxBytes = sizeBytes - ProfileCheck.XDP_PACKET_HEADROOM_BYTES - MIN_PACKET_ROOM_BYTES;
            headroomBytes = (int)values.number(headroom.getValueNode(), "frame.headroom", 0, maxBytes,
                "0.." + maxBytes + " with " + sizeBytes + "-byte frames");
            mark("frame.headroom", headroom.getKeyNode());
        }

        return defaults.withFrameSize(sizeBytes).withHeadroom(headroomBytes);
    }

    private BusyPollSection busyPoll(final Node value, final BusyPoll defaults, final HostTuning host)
    {
        boolean prefer = defaults.preferBusyPoll();
        int usecs = defaults.busyPollUs();
        int budget = defaults.budget();
        long napiDeferHardIrqs = host.napiDeferHardIrqs();
        long groFlushTimeoutNs = host.groFlushTimeoutNs();
        long sysctlBusyPollUs = host.sysctlBusyPollUs();
        long sysctlBusyReadUs = host.sysctlBusyReadUs();
        for (final Map.Entry<String, NodeTuple> entry : values.section(value, "busy_poll", BUSY_POLL_KEYS).entrySet())
        {
            final String field = "busy_poll." + entry.getKey();
            final Node item = entry.getValue().getValueNode();
            final String usecsAllowed = "0.." + BUSY_POLL_USECS_MAX + " microseconds";
            switch (entry.getKey())
            {
                case "prefer" -> prefer = values.bool(item, field);
                case "usecs" ->
                    usecs = (int)values.number(item, field, 0, BUSY_POLL_USECS_MAX, "0.." + BUSY_POLL_USECS_MAX);
                case "budget" ->
                    budget = (int)values.number(item, field, 0, BUSY_POLL_BUDGET_MAX, "0.." + BUSY_POLL_BUDGET_MAX);
                case "napi_defer_hard_irqs" ->
                    napiDeferHardIrqs = values.number(item, field, 0, NAPI_DEFER_MAX, "0.." + NAPI_DEFER_MAX);
                case "gro_flush_timeout" -> groFlushTimeoutNs = values.number(item, field, 0, GRO_FLUSH_TIMEOUT_MAX_NS,
                    "0.." + GRO_FLUSH_TIMEOUT_MAX_NS + " nanoseconds");
                case "sysctl_busy_poll" ->
                    sysctlBusyPollUs = values.number(item, field, 0, BUSY_POLL_USECS_MAX, usecsAllowed);
                case "sysctl_busy_read" ->
                    sysctlBusyReadUs = values.number(item, field, 0, BUSY_POLL_USECS_MAX, usecsAllowed);
                default -> throw new IllegalStateException(field);
            }
            mark(field, entry.getValue().getKeyNode());
        }

        return new BusyPollSection(new BusyPoll(prefer, usecs, budget),
            host.withNapi(napiDeferHardIrqs, groFlushTimeoutNs, sysctlBusyPollUs, sysctlBusyReadUs));
    }

    private PipelineConfig threading(final Node value, final PipelineConfig defaults)
    {
        ThreadingMode mode = defaults.mode();
        int[] cores = defaults.cores();
        int handlers = defaults.handlers();
        IdleMode idle = defaults.idle();
        for (final Map.Entry<String, NodeTuple> entry : values.section(value, "threading", THREADING_KEYS).entrySet())
        {
            final String field = "threading." + entry.getKey();
            final Node item = entry.getValue().getValueNode();
            switch (entry.getKey())
            {
                case "mode" -> mode = values.choice(item, field, ThreadingMode.values(), ThreadingMode::label);
                case "cores" -> cores = values.cpus(item, field, STAGE_CORES_ALLOWED);
                case "handlers" -> handlers = (int)values.number(item, field, 1, HANDLERS_MAX, "1.." + HANDLERS_MAX);
                case "idle" -> idle = values.choice(item, field, IdleMode.values(), IdleMode::label);
                default -> throw new IllegalStateException(field);
            }
            mark(field, entry.getValue().getKeyNode());
        }

        // PipelineConfig checks handlers and cores against the mode; its message, at the threading key, says why
        return defaults.withThreading(mode, handlers, cores).withIdle(idle);
    }

    // ---------------------------------------------------------------- values

    private int ringSize(final Node value, final String field)
    {
        final long size = values.number(value, field, Integer.MIN_VALUE, Integer.MAX_VALUE, RING_ALLOWED);
        if (size <= 0 || Long.bitCount(size) != 1)
        {
            throw values.problem(value, field, FieldReader.text(value) + " is not a power of two", RING_ALLOWED);
        }
        if (size < RING_SIZE_MIN || size > RING_SIZE_MAX)
        {
            throw values.problem(value, field, FieldReader.text(value) + " is out of range", RING_ALLOWED);
        }

        return (int)size;
    }

    private static List<String> sectionKeys(final String key)
    {
        return switch (key)
        {
            case "rings" -> RINGS_KEYS;
            case "frame" -> FRAME_KEYS;
            case "busy_poll" -> BUSY_POLL_KEYS;
            case "threading" -> THREADING_KEYS;
            case "nic_rings" -> NIC_RINGS_KEYS;
            case "irq" -> IRQ_KEYS;
            case "offloads" -> OFFLOADS_KEYS;
            default -> List.of();
        };
    }

    private static List<String> fields()
    {
        final List<String> fields = new ArrayList<>();
        for (final String key : TOP_KEYS)
        {
            fields.add(key);
            for (final String subkey : sectionKeys(key))
            {
                fields.add(key + "." + subkey);
            }
        }

        return List.copyOf(fields);
    }

    private record BusyPollSection(BusyPoll busyPoll, HostTuning host)
    {
    }
}
