package io.sluice.pipeline.profile;

import io.sluice.pipeline.IdleMode;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.ThreadingMode;
import io.sluice.pipeline.yaml.ConfigFileException;
import io.sluice.pipeline.yaml.YamlReader;
import io.sluice.xsk.socket.BusyPoll;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.HugePagePolicy;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.pipeline.yaml.YamlReader.isNull;
import static io.sluice.pipeline.yaml.YamlReader.kind;

/**
 * Reads a NIC profile: the human-edited YAML, one per driver, that says how Sluice runs on that kind of interface.
 * The profiles live in {@code nic-profiles/}; {@code nic-profiles/veth.yaml} is this example:
 * <pre>{@code
 * # veth: virtual Ethernet pairs (tests, containers). Copy mode only: veth has no AF_XDP zero-copy.
 * driver: veth                 # the driver name this profile is for (as /sys/class/net/IF/device/driver or ethtool -i shows)
 * queues: 1                    # queues to use: a count, or "all"
 * rings: {rx: 2048, tx: 2048, fill: 4096, completion: 2048}
 * frame: {size: 4096, headroom: 0}
 * zero_copy: copy              # require | prefer | copy
 * zero_copy_since: none        # the kernel release the driver gained AF_XDP zero-copy in, or none
 * xdp_mode: native             # native | generic
 * need_wakeup: true
 * busy_poll: {prefer: false, usecs: 0, budget: 0}
 * hugepages: off               # off | prefer | require
 * threading:
 *   mode: shared               # shared | dedicated
 *   cores: [1]                 # shared: one CPU; dedicated: rx, handler..., tx ("0-3" also accepted)
 *   handlers: 1                # dedicated only
 *   idle: backoff              # spin | yield | backoff
 * irq: {policy: leave}         # leave | spread | same
 * }</pre>
 * Every key is optional; a key left out keeps its built-in default ({@link XskConfig#defaults()},
 * {@link UmemConfig#defaults()}, {@link PipelineConfig#defaults()}, {@link XdpMode#NATIVE}, one queue), each on its
 * own: {@code rings: {rx: 8192}} leaves the fill ring at its default 4096 rather than deriving it from rx. A mapping
 * key given no value ({@code rings:}) leaves all of its keys at their defaults; any other key needs a value.
 * <ul>
 *     <li>{@code driver}: 1-31 letters, digits, {@code _}, {@code -} or {@code .}, as {@code ethtool -i} prints
 *     it; {@link ProfileCatalog} picks the shipped profile naming an interface's driver.</li>
 *     <li>{@code queues}: 1..{@value #QUEUES_MAX}, or {@code all} ({@link Profile#ALL_QUEUES}).</li>
 *     <li>{@code rings}: {@code rx}, {@code tx}, {@code fill}, {@code completion}: powers of two
 *     {@value #RING_SIZE_MIN}..{@value #RING_SIZE_MAX}. None may be 0: the pipeline receives and transmits on every
 *     socket.</li>
 *     <li>{@code frame}: {@code size} 2048 or 4096 bytes; {@code headroom} bytes of user headroom, 0 up to the frame
 *     size less the kernel's 256-byte {@code XDP_PACKET_HEADROOM} and 64 bytes of packet, as {@link UmemConfig}
 *     allows.</li>
 *     <li>{@code zero_copy}: {@code require}, {@code prefer} or {@code copy}; {@code xdp_mode}: {@code native} or
 *     {@code generic}; {@code hugepages}: {@code off}, {@code prefer} or {@code require}. {@code off} is read as
 *     written, so it works whether a YAML schema would call it a boolean (1.1) or a string (1.2).</li>
 *     <li>{@code need_wakeup}, {@code busy_poll.prefer}: {@code true} or {@code false}.</li>
 *     <li>{@code busy_poll}: {@code usecs} 0..{@value #BUSY_POLL_USECS_MAX} ({@code SO_BUSY_POLL}),
 *     {@code budget} 0..65535 ({@code SO_BUSY_POLL_BUDGET}); 0 leaves the option unset.</li>
 *     <li>{@code threading}: {@code mode} {@code shared} or {@code dedicated}; {@code cores} CPUs 0..{@value #CPU_MAX}
 *     as a list ({@code [0, 1, 2]}, items may be ranges) or a CPU list as the kernel writes them ({@code "0-2,4"}),
 *     each CPU once, {@code []} for unpinned; {@code handlers} 1..{@value #HANDLERS_MAX}, more than 1 in dedicated
 *     mode only; {@code idle} {@code spin}, {@code yield} or {@code backoff}. Shared mode needs one core, dedicated
 *     mode handlers + 2 (receiver, handlers..., transmitter), or none for both.</li>
 *     <li>{@code extends}: a profile to start from, every key of this file overriding its key (a mapping key by
 *     key): a name ({@code mlx5}) looked for beside this file, then among the shipped profiles, or a path relative
 *     to this file.</li>
 *     <li>{@code channels}: what {@code ./sluice tune} sets the NIC's channels to ({@code ethtool -L}), 1..{@value
 *     #QUEUES_MAX}, or {@code leave} (the default). {@code queues} may not exceed it.</li>
 *     <li>{@code zero_copy_since}: the kernel release the driver gained AF_XDP zero-copy in ({@code "5.3"}), or
 *     {@code none}; {@code ./sluice doctor} reports it.</li>
 *     <li>{@code busy_poll}: also {@code napi_defer_hard_irqs} (0..2^31-1) and {@code gro_flush_timeout}
 *     (nanoseconds, 0..10^9), written to {@code /sys/class/net/IF/}, and {@code sysctl_busy_poll},
 *     {@code sysctl_busy_read} (microseconds), {@code net.core.busy_poll} and {@code busy_read}; each left as the
 *     host has it unless given.</li>
 *     <li>{@code nic_rings}: {@code rx}, {@code tx}: hardware descriptors for {@code ethtool -G}, 1..{@value
 *     #NIC_RING_MAX}.</li>
 *     <li>{@code irq}: {@code policy} {@code leave}, {@code spread} or {@code same} ({@link IrqPolicy}); {@code cores}
 *     for {@code spread} only.</li>
 *     <li>{@code offloads}: {@code off}, {@code on}: lists of ethtool feature names, short ({@code gro}) or long
 *     ({@code rx-gro-hw}), none in both.</li>
 *     <li>{@code flow_steering}: a list of {@code {flow: udp4|tcp4|udp6|tcp6, src_ip, dst_ip, src_port, dst_port,
 *     queue}}, each with a queue and at least one match, for {@code ethtool -N}.</li>
 * </ul>
 * Labels are read in any case. Numbers may be written in hex ({@code 0x800}).
 * <p>
 * An invalid file throws {@link ProfileException} with one line, {@code FILE:LINE: field: why (allowed: values)},
 * e.g. {@code veth.yaml:3: rings.rx: 3000 is not a power of two (allowed: powers of two 64..16384)}; an unknown or
 * repeated key, an empty file and a YAML syntax error are reported as in the rules file, listing the allowed keys.
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
     * Highest CPU number: as {@code --cores} takes them; far beyond any host Sluice runs on, low enough to catch a
     * typo.
     */
    public static final int CPU_MAX = 4095;

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
        "need_wakeup", "busy_poll", "hugepages", "threading", "nic_rings", "irq", "offloads", "flow_steering");
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
     * The least room left for the packet after the kernel's {@link ProfileCheck#XDP_PACKET_HEADROOM_BYTES}, as
     * {@link UmemConfig} subtracts them from the frame to bound the headroom.
     */
    private static final int MIN_PACKET_ROOM_BYTES = 64;

    private static final Pattern DRIVER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,30}");
    private static final Pattern KERNEL_RELEASE = Pattern.compile("[0-9]+\\.[0-9]+");
    private static final Pattern FEATURE_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    private static final Pattern PROFILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final List<String> FLOW_TYPES = List.of("udp4", "tcp4", "udp6", "tcp6");
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern CPU_RANGE = Pattern.compile("([0-9]+)\\s*-\\s*([0-9]+)");
    private static final String RING_ALLOWED = "powers of two " + RING_SIZE_MIN + ".." + RING_SIZE_MAX;
    private static final String QUEUES_ALLOWED = "a count 1.." + QUEUES_MAX + ", or all";
    private static final String CORES_ALLOWED = "CPUs 0.." + CPU_MAX + ", each once, as a list [1, 2] or \"0-3\"";

    private final String source;
    private final Path directory;
    private final Path shippedDirectory;
    private final List<Path> chain;
    private final YamlReader reader;
    private final Map<String, Profile.Location> given = new LinkedHashMap<>();

    private ProfileFile(final String source, final Path directory, final Path shippedDirectory, final List<Path> chain)
    {
        this.source = source;
        this.directory = directory;
        this.shippedDirectory = shippedDirectory;
        this.chain = chain;
        this.reader = new YamlReader(source, ProfileException::new);
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
                    case "channels" -> host = host.withChannels(channels(value));
                    case "rings" -> xsk = rings(value, xsk);
                    case "frame" -> umem = frame(value, umem);
                    case "zero_copy" -> xsk = xsk.withZeroCopy(
                        choice(value, key, ZeroCopyPolicy.values(), ZeroCopyPolicy::label));
                    case "xdp_mode" -> xdpMode = choice(value, key, XdpMode.values(), XdpMode::label);
                    case "need_wakeup" -> xsk = xsk.withNeedWakeup(bool(value, key));
                    case "busy_poll" ->
                    {
                        final BusyPollSection section = busyPoll(value, xsk.busyPoll(), host);
                        xsk = xsk.withBusyPoll(section.busyPoll());
                        host = section.host();
                    }
                    case "hugepages" -> umem = umem.withHugePages(
                        choice(value, key, HugePagePolicy.values(), HugePagePolicy::label));
                    case "threading" -> pipeline = threading(value, pipeline);
                    case "zero_copy_since" -> host = host.withZeroCopySince(zeroCopySince(value));
                    case "nic_rings" -> host = nicRings(value, host);
                    case "irq" -> host = irq(value, host);
                    case "offloads" -> host = offloads(value, host);
                    case "flow_steering" -> host = host.withFlows(flows(value));
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
            umem.withProfileSource(source), pipeline, host, given);
    }

    // ---------------------------------------------------------------- extends

    private Profile base(final Node value)
    {
        final String allowed = "a shipped profile's name (mlx5), or a path to a profile file";
        final String text = scalar(value, "extends", allowed);
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
            throw problem(value, "extends", "'" + text + "' is not a profile name or path", allowed);
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

        throw problem(value, "extends", cycle ? "'" + text + "' extends itself, through " +
                String.join(" -> ", chain.stream().map(Path::toString).toList()) :
            "no profile '" + text + "' (looked for " +
                String.join(", ", candidates.stream().map(Path::toString).toList()) + ")", allowed);
    }

    private void mark(final String field, final Node node)
    {
        given.put(field, new Profile.Location(source, YamlReader.line(node)));
    }

    // ---------------------------------------------------------------- host tuning

    private String zeroCopySince(final Node value)
    {
        final String allowed = "a kernel release such as 5.3, or none";
        final String text = scalar(value, "zero_copy_since", allowed);
        if (HostTuning.ZERO_COPY_NONE.equalsIgnoreCase(text))
        {
            return HostTuning.ZERO_COPY_NONE;
        }
        if (!KERNEL_RELEASE.matcher(text).matches())
        {
            throw problem(value, "zero_copy_since", "'" + text + "' is not a kernel release", allowed);
        }

        return text;
    }

    private HostTuning nicRings(final Node value, final HostTuning defaults)
    {
        long rx = defaults.nicRxRing();
        long tx = defaults.nicTxRing();
        final String allowed = "1.." + NIC_RING_MAX + " descriptors, as ethtool -G takes them";
        for (final Map.Entry<String, NodeTuple> entry : section(value, "nic_rings", NIC_RINGS_KEYS).entrySet())
        {
            final String field = "nic_rings." + entry.getKey();
            final long size = number(entry.getValue().getValueNode(), field, 1, NIC_RING_MAX, allowed);
            if ("rx".equals(entry.getKey()))
            {
                rx = size;
            }
            else
            {
                tx = size;
            }
            mark(field, entry.getValue().getKeyNode());
        }

        return defaults.withNicRings(rx, tx);
    }

    private HostTuning irq(final Node value, final HostTuning defaults)
    {
        IrqPolicy policy = defaults.irqPolicy();
        int[] cores = defaults.irqCores();
        Node coresNode = null;
        for (final Map.Entry<String, NodeTuple> entry : section(value, "irq", IRQ_KEYS).entrySet())
        {
            final String field = "irq." + entry.getKey();
            final Node item = entry.getValue().getValueNode();
            if ("policy".equals(entry.getKey()))
            {
                policy = choice(item, field, IrqPolicy.values(), IrqPolicy::label);
            }
            else
            {
                cores = cores(item, field);
                coresNode = item;
            }
            mark(field, entry.getValue().getKeyNode());
        }
        if (null != coresNode && cores.length > 0 && IrqPolicy.SPREAD != policy)
        {
            throw problem(coresNode, "irq.cores", "only the spread policy takes cores, not " + policy.label(),
                "cores with policy: spread; none with leave or same");
        }

        return defaults.withIrq(policy, cores);
    }

    private HostTuning offloads(final Node value, final HostTuning defaults)
    {
        List<String> off = defaults.offloadsOff();
        List<String> on = defaults.offloadsOn();
        final Map<String, NodeTuple> keys = section(value, "offloads", OFFLOADS_KEYS);
        for (final Map.Entry<String, NodeTuple> entry : keys.entrySet())
        {
            final String field = "offloads." + entry.getKey();
            final List<String> features = features(entry.getValue().getValueNode(), field);
            if ("off".equals(entry.getKey()))
            {
                off = features;
            }
            else
            {
                on = features;
            }
            mark(field, entry.getValue().getKeyNode());
        }
        for (final String feature : on)
        {
            if (off.contains(feature))
            {
                final NodeTuple tuple = null != keys.get("on") ? keys.get("on") : keys.get("off");
                throw problem(null == tuple ? value : tuple.getValueNode(), "offloads", "feature " + feature +
                    " is both off and on", "each feature in one list");
            }
        }

        return defaults.withOffloads(off, on);
    }

    private List<String> features(final Node value, final String field)
    {
        final String allowed = "ethtool -k feature names or ethtool -K's short names, such as gro, lro, " +
            "rx-vlan-offload, each once";
        final List<String> features = new ArrayList<>();
        for (final Node item : reader.list(value, field, "a list of features"))
        {
            final String feature = scalar(item, field, allowed).toLowerCase(Locale.ROOT);
            if (!FEATURE_NAME.matcher(feature).matches())
            {
                throw problem(item, field, "'" + feature + "' is not a feature name", allowed);
            }
            if (features.contains(feature))
            {
                throw problem(item, field, "feature " + feature + " is named twice", allowed);
            }
            features.add(feature);
        }

        return features;
    }

    private List<FlowSteering> flows(final Node value)
    {
        final List<FlowSteering> flows = new ArrayList<>();
        for (final Node item : reader.list(value, "flow_steering", "a list of flows"))
        {
            final String field = "flow_steering";
            if (!(item instanceof MappingNode))
            {
                throw problem(item, field, "expected a flow mapping, not " + kind(item),
                    "{flow: udp4|tcp4|udp6|tcp6, src_ip, dst_ip, src_port, dst_port, queue}");
            }
            final Map<String, NodeTuple> keys = section(item, field, FLOW_KEYS);
            final NodeTuple flow = keys.get("flow");
            final NodeTuple queue = keys.get("queue");
            if (null == flow || null == queue)
            {
                throw problem(item, field, "a flow needs flow and queue", "keys " + String.join(", ", FLOW_KEYS));
            }
            final String flowType = choice(flow.getValueNode(), field + ".flow", FLOW_TYPES.toArray(new String[0]),
                (type) -> type);
            final boolean ipv6 = flowType.endsWith("6");
            final String src = address(keys.get("src_ip"), field + ".src_ip", ipv6);
            final String dst = address(keys.get("dst_ip"), field + ".dst_ip", ipv6);
            final int srcPort = port(keys.get("src_port"), field + ".src_port");
            final int dstPort = port(keys.get("dst_port"), field + ".dst_port");
            final int queueIndex = (int)number(queue.getValueNode(), field + ".queue", 0, QUEUES_MAX - 1,
                "0.." + (QUEUES_MAX - 1));
            if (null == src && null == dst && srcPort < 0 && dstPort < 0)
            {
                throw problem(item, field, "the flow matches every " + flowType + " packet",
                    "at least one of src_ip, dst_ip, src_port, dst_port");
            }
            flows.add(new FlowSteering(flowType, src, dst, srcPort, dstPort, queueIndex, YamlReader.line(item)));
        }
        return flows;
    }

    private String address(final NodeTuple tuple, final String field, final boolean ipv6)
    {
        if (null == tuple)
        {
            return null;
        }
        final String allowed = ipv6 ? "an IPv6 address" : "an IPv4 address";
        final String text = scalar(tuple.getValueNode(), field, allowed);
        final boolean valid = ipv6 ? text.contains(":") && text.matches("[0-9A-Fa-f:.]+") :
            IPV4.matcher(text).matches();
        if (!valid)
        {
            throw problem(tuple.getValueNode(), field, "'" + text + "' is not " + allowed, allowed);
        }

        return text;
    }

    private int port(final NodeTuple tuple, final String field)
    {
        return null == tuple ? -1 : (int)number(tuple.getValueNode(), field, 0, 65535, "0..65535");
    }

    // ---------------------------------------------------------------- keys

    private String driver(final Node value)
    {
        final String allowed = "1-31 letters, digits, '_', '-' or '.', as ethtool -i shows";
        final String text = scalar(value, "driver", allowed);
        if (!DRIVER_NAME.matcher(text).matches())
        {
            throw problem(value, "driver", "'" + text + "' is not a driver name", allowed);
        }

        return text;
    }

    private int queues(final Node value)
    {
        final String text = scalar(value, "queues", QUEUES_ALLOWED);
        if ("all".equalsIgnoreCase(text))
        {
            return Profile.ALL_QUEUES;
        }

        return (int)number(value, "queues", 1, QUEUES_MAX, QUEUES_ALLOWED);
    }

    private long channels(final Node value)
    {
        final String allowed = "a count 1.." + QUEUES_MAX + ", or leave";
        final String text = scalar(value, "channels", allowed);
        if ("leave".equalsIgnoreCase(text))
        {
            return HostTuning.LEAVE;
        }

        return number(value, "channels", 1, QUEUES_MAX, allowed);
    }

    private XskConfig rings(final Node value, final XskConfig defaults)
    {
        int rx = defaults.rxRingSize();
        int tx = defaults.txRingSize();
        int fill = defaults.fillRingSize();
        int completion = defaults.completionRingSize();
        for (final Map.Entry<String, NodeTuple> entry : section(value, "rings", RINGS_KEYS).entrySet())
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
        final Map<String, NodeTuple> keys = section(value, "frame", FRAME_KEYS);
        int sizeBytes = defaults.frameSizeBytes();
        int headroomBytes = defaults.headroomBytes();
        final NodeTuple size = keys.get("size");
        if (null != size)
        {
            final String allowed = "2048, 4096";
            sizeBytes = (int)number(size.getValueNode(), "frame.size", Integer.MIN_VALUE, Integer.MAX_VALUE, allowed);
            if (2048 != sizeBytes && 4096 != sizeBytes)
            {
                throw problem(size.getValueNode(), "frame.size", text(size.getValueNode()) + " is not a frame size",
                    allowed);
            }
            mark("frame.size", size.getKeyNode());
        }
        final NodeTuple headroom = keys.get("headroom");
        if (null != headroom)
        {
            final int maxBytes = sizeBytes - ProfileCheck.XDP_PACKET_HEADROOM_BYTES - MIN_PACKET_ROOM_BYTES;
            headroomBytes = (int)number(headroom.getValueNode(), "frame.headroom", 0, maxBytes,
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
        for (final Map.Entry<String, NodeTuple> entry : section(value, "busy_poll", BUSY_POLL_KEYS).entrySet())
        {
            final String field = "busy_poll." + entry.getKey();
            final Node item = entry.getValue().getValueNode();
            final String usecsAllowed = "0.." + BUSY_POLL_USECS_MAX + " microseconds";
            switch (entry.getKey())
            {
                case "prefer" -> prefer = bool(item, field);
                case "usecs" -> usecs = (int)number(item, field, 0, BUSY_POLL_USECS_MAX, "0.." + BUSY_POLL_USECS_MAX);
                case "budget" ->
                    budget = (int)number(item, field, 0, BUSY_POLL_BUDGET_MAX, "0.." + BUSY_POLL_BUDGET_MAX);
                case "napi_defer_hard_irqs" ->
                    napiDeferHardIrqs = number(item, field, 0, NAPI_DEFER_MAX, "0.." + NAPI_DEFER_MAX);
                case "gro_flush_timeout" -> groFlushTimeoutNs = number(item, field, 0, GRO_FLUSH_TIMEOUT_MAX_NS,
                    "0.." + GRO_FLUSH_TIMEOUT_MAX_NS + " nanoseconds");
                case "sysctl_busy_poll" -> sysctlBusyPollUs = number(item, field, 0, BUSY_POLL_USECS_MAX, usecsAllowed);
                case "sysctl_busy_read" -> sysctlBusyReadUs = number(item, field, 0, BUSY_POLL_USECS_MAX, usecsAllowed);
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
        for (final Map.Entry<String, NodeTuple> entry : section(value, "threading", THREADING_KEYS).entrySet())
        {
            final String field = "threading." + entry.getKey();
            final Node item = entry.getValue().getValueNode();
            switch (entry.getKey())
            {
                case "mode" -> mode = choice(item, field, ThreadingMode.values(), ThreadingMode::label);
                case "cores" -> cores = cores(item, field);
                case "handlers" -> handlers = (int)number(item, field, 1, HANDLERS_MAX, "1.." + HANDLERS_MAX);
                case "idle" -> idle = choice(item, field, IdleMode.values(), IdleMode::label);
                default -> throw new IllegalStateException(field);
            }
            mark(field, entry.getValue().getKeyNode());
        }

        // PipelineConfig checks handlers and cores against the mode; its message, at the threading key, says why
        return defaults.withThreading(mode, handlers, cores).withIdle(idle);
    }

    private int[] cores(final Node value, final String field)
    {
        final List<Node> items = value instanceof SequenceNode sequence ? sequence.getValue() : List.of(value);
        final List<Integer> cores = new ArrayList<>();
        for (final Node item : items)
        {
            for (final String part : scalar(item, field, CORES_ALLOWED).split(",", -1))
            {
                final String text = part.strip();
                final Matcher range = CPU_RANGE.matcher(text);
                final long low;
                final long high;
                if (range.matches())
                {
                    low = YamlReader.parseNumber(range.group(1));
                    high = YamlReader.parseNumber(range.group(2));
                }
                else if (YamlReader.isNumber(text))
                {
                    low = YamlReader.parseNumber(text);
                    high = low;
                }
                else
                {
                    throw problem(item, field, "'" + text + "' is not a CPU number or range", CORES_ALLOWED);
                }
                if (low < 0 || high > CPU_MAX || low > CPU_MAX)
                {
                    throw problem(item, field, text + " is out of range", CORES_ALLOWED);
                }
                if (low > high)
                {
                    throw problem(item, field, "range " + text + " runs backwards", CORES_ALLOWED);
                }
                for (int cpu = (int)low; cpu <= high; cpu++)
                {
                    if (cores.contains(cpu))
                    {
                        throw problem(item, field, "CPU " + cpu + " is named twice", CORES_ALLOWED);
                    }
                    cores.add(cpu);
                }
            }
        }

        return cores.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---------------------------------------------------------------- values

    private Map<String, NodeTuple> section(final Node value, final String key, final List<String> keys)
    {
        if (isNull(value))
        {
            return Map.of();
        }
        if (!(value instanceof MappingNode mapping))
        {
            throw problem(value, key, "expected a mapping, not " + kind(value), "keys " + String.join(", ", keys));
        }

        return reader.keys(mapping, key + ": ", keys);
    }

    private int ringSize(final Node value, final String field)
    {
        final long size = number(value, field, Integer.MIN_VALUE, Integer.MAX_VALUE, RING_ALLOWED);
        if (size <= 0 || Long.bitCount(size) != 1)
        {
            throw problem(value, field, text(value) + " is not a power of two", RING_ALLOWED);
        }
        if (size < RING_SIZE_MIN || size > RING_SIZE_MAX)
        {
            throw problem(value, field, text(value) + " is out of range", RING_ALLOWED);
        }

        return (int)size;
    }

    private <E> E choice(final Node value, final String field, final E[] values, final Function<E, String> label)
    {
        final String allowed = String.join(", ", Arrays.stream(values).map(label).toList());
        final String text = scalar(value, field, allowed);
        for (final E candidate : values)
        {
            if (label.apply(candidate).equals(text.toLowerCase(Locale.ROOT)))
            {
                return candidate;
            }
        }

        throw problem(value, field, "unknown value '" + text + "'", allowed);
    }

    private boolean bool(final Node value, final String field)
    {
        return choice(value, field, new Boolean[] { true, false }, String::valueOf);
    }

    private long number(final Node value, final String field, final long min, final long max, final String allowed)
    {
        final String text = scalar(value, field, allowed);
        final long number = YamlReader.parseNumber(text);
        if (YamlReader.NOT_A_NUMBER == number)
        {
            throw problem(value, field, "'" + text + "' is not a number", allowed);
        }
        if (number < min || number > max)
        {
            throw problem(value, field, text + " is out of range", allowed);
        }

        return number;
    }

    private String scalar(final Node value, final String field, final String allowed)
    {
        if (isNull(value))
        {
            throw problem(value, field, "no value", allowed);
        }
        if (!(value instanceof ScalarNode scalar))
        {
            throw problem(value, field, "expected one value, not " + kind(value), allowed);
        }
        if (YamlReader.isTagged(scalar))
        {
            throw problem(value, field, "YAML reads '" + scalar.getTag().getValue() +
                "' as a tag; put the value in quotes", allowed);
        }

        return scalar.getValue().strip();
    }

    private ConfigFileException problem(final Node node, final String field, final String why, final String allowed)
    {
        return reader.error(node, field + ": " + why + " (allowed: " + allowed + ")");
    }

    /**
     * @return a scalar's text as written, for messages: {@code 0xBB8} stays {@code 0xBB8}.
     */
    private static String text(final Node value)
    {
        return ((ScalarNode)value).getValue().strip();
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
