package io.sluice.pipeline.profile;

import io.sluice.pipeline.yaml.FieldReader;
import io.sluice.pipeline.yaml.YamlReader;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

import static io.sluice.pipeline.profile.ProfileFile.CORES_ALLOWED;
import static io.sluice.pipeline.profile.ProfileFile.FLOW_KEYS;
import static io.sluice.pipeline.profile.ProfileFile.IRQ_KEYS;
import static io.sluice.pipeline.profile.ProfileFile.NIC_RINGS_KEYS;
import static io.sluice.pipeline.profile.ProfileFile.NIC_RING_MAX;
import static io.sluice.pipeline.profile.ProfileFile.OFFLOADS_KEYS;
import static io.sluice.pipeline.profile.ProfileFile.QUEUES_MAX;
import static io.sluice.pipeline.yaml.YamlReader.kind;

/**
 * Reads the keys of a profile that say what {@code ./sluice tune} sets on the host and {@code ./sluice doctor}
 * checks there: {@code channels}, {@code zero_copy_since}, {@code nic_rings}, {@code irq}, {@code offloads} and
 * {@code flow_steering} ({@code docs/profile-format.md}). {@link ProfileFile} reads the file and hands each of these
 * keys' values here; {@code busy_poll}'s host keys it reads with the socket's, as they share a section.
 * <p>
 * One per file read, as the {@link FieldReader} it words its problems through.
 */
final class HostTuningReader
{
    private static final Pattern KERNEL_RELEASE = Pattern.compile("[0-9]+\\.[0-9]+");
    private static final Pattern FEATURE_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    private static final List<String> FLOW_TYPES = List.of("udp4", "tcp4", "udp6", "tcp6");
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");

    private final YamlReader reader;
    private final FieldReader values;
    private final BiConsumer<String, Node> mark;

    /**
     * @param reader the file's reader, for lists.
     * @param values the file's values, for everything else.
     * @param mark   records where a field was given: the field, and the key node that gave it.
     */
    HostTuningReader(final YamlReader reader, final FieldReader values, final BiConsumer<String, Node> mark)
    {
        this.reader = reader;
        this.values = values;
        this.mark = mark;
    }

    /**
     * @param value {@code channels}' value.
     * @return the channel count {@code tune} sets, or {@link HostTuning#LEAVE}.
     */
    long channels(final Node value)
    {
        final String allowed = "a count 1.." + QUEUES_MAX + ", or leave";
        final String text = values.scalar(value, "channels", allowed);
        if ("leave".equalsIgnoreCase(text))
        {
            return HostTuning.LEAVE;
        }

        return values.number(value, "channels", 1, QUEUES_MAX, allowed);
    }

    /**
     * @param value {@code zero_copy_since}'s value.
     * @return the kernel release, or {@link HostTuning#ZERO_COPY_NONE}.
     */
    String zeroCopySince(final Node value)
    {
        final String allowed = "a kernel release such as 5.3, or none";
        final String text = values.scalar(value, "zero_copy_since", allowed);
        if (HostTuning.ZERO_COPY_NONE.equalsIgnoreCase(text))
        {
            return HostTuning.ZERO_COPY_NONE;
        }
        if (!KERNEL_RELEASE.matcher(text).matches())
        {
            throw values.problem(value, "zero_copy_since", "'" + text + "' is not a kernel release", allowed);
        }

        return text;
    }

    /**
     * @param value    {@code nic_rings}' value.
     * @param defaults the tuning so far, whose rings a key left out keeps.
     * @return the tuning with the hardware rings given.
     */
    HostTuning nicRings(final Node value, final HostTuning defaults)
    {
        long rx = defaults.nicRxRing();
        long tx = defaults.nicTxRing();
        final String allowed = "1.." + NIC_RING_MAX + " descriptors, as ethtool -G takes them";
        for (final Map.Entry<String, NodeTuple> entry : values.section(value, "nic_rings", NIC_RINGS_KEYS).entrySet())
        {
            final String field = "nic_rings." + entry.getKey();
            final long size = values.number(entry.getValue().getValueNode(), field, 1, NIC_RING_MAX, allowed);
            if ("rx".equals(entry.getKey()))
            {
                rx = size;
            }
            else
            {
                tx = size;
            }
            mark.accept(field, entry.getValue().getKeyNode());
        }

        return defaults.withNicRings(rx, tx);
    }

    /**
     * @param value    {@code irq}'s value.
     * @param defaults the tuning so far, whose policy or cores a key left out keeps.
     * @return the tuning with the IRQ placement given; cores only with {@code spread}.
     */
    HostTuning irq(final Node value, final HostTuning defaults)
    {
        IrqPolicy policy = defaults.irqPolicy();
        int[] cores = defaults.irqCores();
        Node coresNode = null;
        for (final Map.Entry<String, NodeTuple> entry : values.section(value, "irq", IRQ_KEYS).entrySet())
        {
            final String field = "irq." + entry.getKey();
            final Node item = entry.getValue().getValueNode();
            if ("policy".equals(entry.getKey()))
            {
                policy = values.choice(item, field, IrqPolicy.values(), IrqPolicy::label);
            }
            else
            {
                cores = values.distinctCpus(item, field, CORES_ALLOWED);
                coresNode = item;
            }
            mark.accept(field, entry.getValue().getKeyNode());
        }
        if (null != coresNode && cores.length > 0 && IrqPolicy.SPREAD != policy)
        {
            throw values.problem(coresNode, "irq.cores", "only the spread policy takes cores, not " + policy.label(),
                "cores with policy: spread; none with leave or same");
        }

        return defaults.withIrq(policy, cores);
    }

    /**
     * @param value    {@code offloads}' value.
     * @param defaults the tuning so far, whose lists a key left out keeps.
     * @return the tuning with the features to turn off and on; none in both.
     */
    HostTuning offloads(final Node value, final HostTuning defaults)
    {
        List<String> off = defaults.offloadsOff();
        List<String> on = defaults.offloadsOn();
        final Map<String, NodeTuple> keys = values.section(value, "offloads", OFFLOADS_KEYS);
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
            mark.accept(field, entry.getValue().getKeyNode());
        }
        for (final String feature : on)
        {
            if (off.contains(feature))
            {
                final NodeTuple tuple = null != keys.get("on") ? keys.get("on") : keys.get("off");
                throw values.problem(null == tuple ? value : tuple.getValueNode(), "offloads", "feature " + feature +
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
            final String feature = values.scalar(item, field, allowed).toLowerCase(Locale.ROOT);
            if (!FEATURE_NAME.matcher(feature).matches())
            {
                throw values.problem(item, field, "'" + feature + "' is not a feature name", allowed);
            }
            if (features.contains(feature))
            {
                throw values.problem(item, field, "feature " + feature + " is named twice", allowed);
            }
            features.add(feature);
        }

        return features;
    }

    /**
     * @param value {@code flow_steering}'s value.
     * @return the ntuple rules, each with a queue and at least one match.
     */
    List<FlowSteering> flows(final Node value)
    {
        final List<FlowSteering> flows = new ArrayList<>();
        for (final Node item : reader.list(value, "flow_steering", "a list of flows"))
        {
            final String field = "flow_steering";
            if (!(item instanceof MappingNode))
            {
                throw values.problem(item, field, "expected a flow mapping, not " + kind(item),
                    "{flow: udp4|tcp4|udp6|tcp6, src_ip, dst_ip, src_port, dst_port, queue}");
            }
            final Map<String, NodeTuple> keys = values.section(item, field, FLOW_KEYS);
            final NodeTuple flow = keys.get("flow");
            final NodeTuple queue = keys.get("queue");
            if (null == flow || null == queue)
            {
                throw values.problem(item, field, "a flow needs flow and queue",
                    "keys " + String.join(", ", FLOW_KEYS));
            }
            final String flowType = values.choice(flow.getValueNode(), field + ".flow",
                FLOW_TYPES.toArray(new String[0]), (type) -> type);
            final boolean ipv6 = flowType.endsWith("6");
            final String src = address(keys.get("src_ip"), field + ".src_ip", ipv6);
            final String dst = address(keys.get("dst_ip"), field + ".dst_ip", ipv6);
            final int srcPort = port(keys.get("src_port"), field + ".src_port");
            final int dstPort = port(keys.get("dst_port"), field + ".dst_port");
            final int queueIndex = (int)values.number(queue.getValueNode(), field + ".queue", 0, QUEUES_MAX - 1,
                "0.." + (QUEUES_MAX - 1));
            if (null == src && null == dst && srcPort < 0 && dstPort < 0)
            {
                throw values.problem(item, field, "the flow matches every " + flowType + " packet",
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
        final String text = values.scalar(tuple.getValueNode(), field, allowed);
        final boolean valid = ipv6 ? text.contains(":") && text.matches("[0-9A-Fa-f:.]+") :
            IPV4.matcher(text).matches();
        if (!valid)
        {
            throw values.problem(tuple.getValueNode(), field, "'" + text + "' is not " + allowed, allowed);
        }

        return text;
    }

    private int port(final NodeTuple tuple, final String field)
    {
        return null == tuple ? -1 : (int)values.number(tuple.getValueNode(), field, 0, 65535, "0..65535");
    }
}
