package io.sluice.pipeline.rules;

import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.BlockingPolicy;
import io.sluice.pipeline.yaml.ConfigFileException;
import io.sluice.pipeline.yaml.YamlReader;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SteeringDescriptor;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.pipeline.yaml.YamlReader.isNull;
import static io.sluice.pipeline.yaml.YamlReader.kind;
import static io.sluice.pipeline.yaml.YamlReader.line;

/**
 * Reads a rules file: the human-edited YAML that says which packets the XDP program hands to Sluice ({@code steer},
 * as {@link FlowRule}s for the XDP program) and what Sluice does with them ({@code filter} and {@code default}, as
 * {@link FilterRule}s, with {@code block_if} {@link BlockTrigger}s and the {@code blocking} section's
 * {@link BlockingPolicy}). Every key, its allowed values and default are in {@code docs/rules-format.md}.
 * <p>
 * Rule names are unique across the whole file. An invalid file throws {@link RulesFileException} with one line,
 * {@code FILE:LINE: problem}, naming the allowed values where there is a set.
 */
public final class RulesFile
{
    static final List<String> TOP_KEYS = List.of("steer", "steer_all", "filter", "default", "blocking");
    static final List<String> BLOCK_IF_KEYS = List.of("pps", "window_ms", "syn_ratio", "prefix", "prefix6", "ttl_s");
    static final List<String> BLOCKING_KEYS = List.of("ttl_s", "max_blocks", "track", "allow");
    static final List<String> STEER_KEYS = List.of("name", "proto", "src", "dst", "dst_port", "priority", "action");
    static final List<String> FILTER_KEYS = List.of(
        "name", "vlan", "ether_type", "ip", "proto", "src", "dst", "src_port", "dst_port", "tcp_flags", "icmp_type",
        "icmp_code", "fragment", "action", "swap", "to", "block_if");

    private static final String STEER_ACTIONS = "steer, pass, drop";
    private static final String FILTER_ACTIONS = "drop, count, reflect, forward, mirror";
    private static final String DEFAULT_ACTIONS = "drop, count, reflect";
    private static final String PREFIX_EXPECTED = "a prefix such as 10.0.0.0/8 or fd00::/8";
    private static final Pattern PORT_RANGE = Pattern.compile("([0-9]+)\\s*-\\s*([0-9]+)");

    private final String source;
    private final YamlReader reader;
    private final Map<String, String> ruleNames = new HashMap<>();

    private RulesFile(final String source)
    {
        this.source = source;
        this.reader = new YamlReader(source, RulesFileException::new);
    }

    /**
     * Read a rules file.
     *
     * @param path the file; its name in messages is {@code path.toString()}.
     * @return the rules.
     * @throws RulesFileException with one line, {@code FILE:LINE: problem}, or {@code FILE: cannot read: why}.
     */
    public static Rules load(final Path path)
    {
        return parse(path.toString(), YamlReader.readFile(path, RulesFileException::new));
    }

    /**
     * Read rules from text, as from a file.
     *
     * @param source name of the file to report in messages, e.g. {@code rules.yaml}.
     * @param yaml   the file's text.
     * @return the rules.
     * @throws RulesFileException with one line, {@code FILE:LINE: problem}.
     */
    public static Rules parse(final String source, final String yaml)
    {
        return new RulesFile(source).read(yaml);
    }

    private final Map<String, Integer> lines = new HashMap<>();

    private Rules read(final String yaml)
    {
        final MappingNode mapping = reader.composeMapping(yaml, TOP_KEYS);

        final List<FlowRule> steering = new ArrayList<>();
        final List<String> steeringNames = new ArrayList<>();
        final List<FilterRule> filter = new ArrayList<>();
        final List<BlockTrigger> triggers = new ArrayList<>();
        BlockingPolicy blocking = BlockingPolicy.DEFAULTS;
        boolean steerAll = false;
        Action defaultAction = RuleSet.DEFAULT_ACTION_DEFAULT;
        for (final Map.Entry<String, NodeTuple> entry : reader.keys(mapping, "", TOP_KEYS).entrySet())
        {
            final Node value = entry.getValue().getValueNode();
            switch (entry.getKey())
            {
                case "steer" -> steerRules(value, steering, steeringNames);
                case "steer_all" -> steerAll = reader.bool(value, "steer_all");
                case "filter" -> filterRules(value, filter, triggers);
                case "default" -> defaultAction = defaultAction(value);
                case "blocking" ->
                {
                    blocking = blocking(value);
                    lines.put(Rules.BLOCKING_LINE_KEY, YamlReader.line(entry.getValue().getKeyNode()));
                }
                default -> throw new IllegalStateException(entry.getKey());
            }
        }

        try
        {
            return new Rules(source, steering, steeringNames, steerAll, new RuleSet(filter, defaultAction), triggers,
                blocking).withLines(lines);
        }
        catch (final IllegalArgumentException ex)
        {
            throw reader.error(mapping, ex.getMessage());
        }
    }

    private void steerRules(final Node value, final List<FlowRule> steering, final List<String> names)
    {
        final List<Node> items = reader.list(value, "steer", "a list of rules");
        for (int id = 0; id < items.size(); id++)
        {
            final Node item = items.get(id);
            if (id == SteeringDescriptor.MAX_RULES)
            {
                throw reader.error(item, "steer holds at most " + SteeringDescriptor.MAX_RULES +
                    " rules, the XDP program's limit");
            }
            final String name = nameOf(item, "steer-" + id);
            if (!(item instanceof MappingNode mapping))
            {
                throw reader.error(item, "steer rule '" + name + "' must be a mapping of keys, not " + kind(item));
            }
            steering.add(steerRule(mapping, id, name));
            names.add(name);
        }
    }

    private FlowRule steerRule(final MappingNode mapping, final int id, final String name)
    {
        final String label = "steer rule '" + name + "': ";
        final Map<String, NodeTuple> keys = reader.keys(mapping, label, STEER_KEYS);
        checkNameType(keys, label);
        if (!FilterRule.NAME_PATTERN.matcher(name).matches())
        {
            throw reader.error(keys.get("name").getValueNode(), "steer rule name '" + name + "' is not " +
                FilterRule.NAME_RULE);
        }
        claimName(name, mapping, keys, label, "steer rule");

        int protocol = FlowRule.ANY_PROTOCOL;
        Prefix src = Prefix.ANY;
        Prefix dst = Prefix.ANY;
        int dstPortLow = 0;
        int dstPortHigh = FlowRule.MAX_PORT;
        int priority = id;
        FlowRule.Action action = FlowRule.Action.STEER;
        for (final Map.Entry<String, NodeTuple> entry : keys.entrySet())
        {
            final Node value = entry.getValue().getValueNode();
            switch (entry.getKey())
            {
                case "name" ->
                {
                }
                case "proto" -> protocol = protocol(value, label);
                case "src" -> src = steerPrefix(value, label, "src");
                case "dst" -> dst = steerPrefix(value, label, "dst");
                case "dst_port" ->
                {
                    final int[] range = ports(value, label, "dst_port");
                    dstPortLow = range[0];
                    dstPortHigh = range[1];
                }
                case "priority" ->
                    priority = (int)reader.number(value, label + "priority", 0, Integer.MAX_VALUE, "a number");
                case "action" -> action = steerAction(value, label);
                default -> throw new IllegalStateException(entry.getKey());
            }
        }

        final boolean tcpOrUdpOrAny = FlowRule.ANY_PROTOCOL == protocol || IpProtocols.TCP == protocol ||
            IpProtocols.UDP == protocol;
        if (keys.containsKey("dst_port") && !tcpOrUdpOrAny)
        {
            throw reader.error(keys.get("dst_port").getKeyNode(), label + "dst_port needs proto tcp, udp or any, not " +
                Names.protocolName(protocol));
        }
        if ((src.isIpv4() && dst.isIpv6()) || (src.isIpv6() && dst.isIpv4()))
        {
            throw reader.error(keys.get("dst").getKeyNode(), label + "dst " + dst + " is IPv" + (dst.isIpv4() ? 4 : 6) +
                " but src " + src + " is IPv" + (src.isIpv4() ? 4 : 6));
        }

        try
        {
            return new FlowRule(id, priority, protocol, src, dst, dstPortLow, dstPortHigh, action);
        }
        catch (final IllegalArgumentException ex)
        {
            throw reader.error(mapping, label + ex.getMessage());
        }
    }

    private void filterRules(final Node value, final List<FilterRule> filter, final List<BlockTrigger> triggers)
    {
        final List<Node> items = reader.list(value, "filter", "a list of rules");
        for (int index = 0; index < items.size(); index++)
        {
            final Node item = items.get(index);
            final String name = nameOf(item, "filter-" + index);
            if (!(item instanceof MappingNode mapping))
            {
                throw reader.error(item, "filter rule '" + name + "' must be a mapping of keys, not " + kind(item));
            }
            final FilterRule rule = filterRule(mapping, name);
            lines.put(Rules.filterLineKey(name), YamlReader.line(item));
            for (final NodeTuple tuple : mapping.getValue())
            {
                if (tuple.getKeyNode() instanceof ScalarNode key && "block_if".equals(key.getValue()))
                {
                    triggers.add(blockIf(tuple.getValueNode(), index, rule));
                }
            }
            filter.add(rule);
        }
    }

    private BlockTrigger blockIf(final Node value, final int index, final FilterRule rule)
    {
        final String label = "filter rule '" + rule.name() + "': block_if";
        if (!(value instanceof MappingNode mapping))
        {
            throw reader.error(value, label + " must be a mapping such as {pps: 50000, window_ms: 100}, not " +
                kind(value));
        }
        final Map<String, NodeTuple> keys = reader.keys(mapping, label + ": ", BLOCK_IF_KEYS);
        if (!keys.containsKey("pps"))
        {
            throw reader.error(mapping, label + ": pps is required: the rate above which a source is blocked");
        }
        long pps = 0;
        long windowNs = BlockTrigger.WINDOW_NS_DEFAULT;
        int synRatio = 0;
        int prefixV4 = 32;
        int prefixV6 = 128;
        long ttlNs = 0;
        for (final Map.Entry<String, NodeTuple> entry : keys.entrySet())
        {
            final Node node = entry.getValue().getValueNode();
            final String field = label + "." + entry.getKey();
            switch (entry.getKey())
            {
                case "pps" -> pps = reader.number(node, field, 1, 1_000_000_000L, "frames per second");
                case "window_ms" -> windowNs = 1_000_000L *
                    reader.number(node, field, 1, BlockTrigger.WINDOW_NS_MAX / 1_000_000L, "milliseconds");
                case "syn_ratio" ->
                {
                    synRatio = (int)reader.number(node, field, 1, 1_000_000, "SYNs per completed handshake");
                    if (rule.protocol() != IpProtocols.TCP)
                    {
                        throw reader.error(node, field + " counts TCP SYNs: the rule needs proto tcp");
                    }
                }
                case "prefix" -> prefixV4 = (int)reader.number(node, field, 1, 32, "an IPv4 prefix length");
                case "prefix6" -> prefixV6 = (int)reader.number(node, field, 1, 128, "an IPv6 prefix length");
                case "ttl_s" -> ttlNs = 1_000_000_000L *
                    reader.number(node, field, 1, BlockingPolicy.TTL_S_MAX, "seconds");
                default -> throw new IllegalStateException(entry.getKey());
            }
        }

        try
        {
            return new BlockTrigger(index, rule.name(), pps, windowNs, synRatio, prefixV4, prefixV6, ttlNs);
        }
        catch (final IllegalArgumentException ex)
        {
            throw reader.error(mapping, "filter rule '" + rule.name() + "': " + ex.getMessage());
        }
    }

    private BlockingPolicy blocking(final Node value)
    {
        if (!(value instanceof MappingNode mapping))
        {
            throw reader.error(value, "blocking must be a mapping of " + String.join(", ", BLOCKING_KEYS) + ", not " +
                kind(value));
        }
        long ttlNs = BlockingPolicy.TTL_NS_DEFAULT;
        int maxBlocks = BlockingPolicy.MAX_BLOCKS_DEFAULT;
        int track = BlockingPolicy.TRACK_DEFAULT;
        final List<Prefix> allow = new ArrayList<>();
        for (final Map.Entry<String, NodeTuple> entry : reader.keys(mapping, "blocking: ", BLOCKING_KEYS).entrySet())
        {
            final Node node = entry.getValue().getValueNode();
            final String field = "blocking." + entry.getKey();
            switch (entry.getKey())
            {
                case "ttl_s" -> ttlNs = 1_000_000_000L *
                    reader.number(node, field, 1, BlockingPolicy.TTL_S_MAX, "seconds");
                case "max_blocks" -> maxBlocks = (int)reader.number(node, field, 1,
                    SteeringDescriptor.BLOCKLIST_MAX_DEFAULT, "a number of blocks (at most the XDP blocklist's " +
                    SteeringDescriptor.BLOCKLIST_MAX_DEFAULT + ")");
                case "track" ->
                {
                    final long tracked = reader.number(node, field, BlockingPolicy.TRACK_MIN,
                        BlockingPolicy.TRACK_MAX, "a power of two");
                    if (Long.bitCount(tracked) != 1)
                    {
                        throw reader.error(node, field + " " + tracked + " is not a power of two");
                    }
                    track = (int)tracked;
                }
                case "allow" ->
                {
                    final List<Node> items = node instanceof SequenceNode ? reader.list(node, field,
                        "a list of prefixes") : List.of(node);
                    for (final Node item : items)
                    {
                        final String text = reader.text(item, field, PREFIX_EXPECTED);
                        try
                        {
                            allow.add(Prefix.parse(text));
                        }
                        catch (final IllegalArgumentException ex)
                        {
                            throw reader.error(item, field + ": " + ex.getMessage());
                        }
                    }
                    if (allow.size() > SteeringDescriptor.ALLOWLIST_MAX)
                    {
                        throw reader.error(node, field + " holds at most " + SteeringDescriptor.ALLOWLIST_MAX +
                            " prefixes, the XDP allowlist's size");
                    }
                }
                default -> throw new IllegalStateException(entry.getKey());
            }
        }

        return new BlockingPolicy(ttlNs, maxBlocks, track, allow);
    }

    private FilterRule filterRule(final MappingNode mapping, final String name)
    {
        final String label = "filter rule '" + name + "': ";
        final Map<String, NodeTuple> keys = reader.keys(mapping, label, FILTER_KEYS);
        checkNameType(keys, label);
        final FilterRuleBuilder builder;
        try
        {
            builder = FilterRule.builder(name);
        }
        catch (final IllegalArgumentException ex)
        {
            throw reader.error(keys.get("name").getValueNode(), ex.getMessage());
        }
        claimName(name, mapping, keys, label, "filter rule");
        builder.line(line(mapping));

        for (final Map.Entry<String, NodeTuple> entry : keys.entrySet())
        {
            final Node value = entry.getValue().getValueNode();
            try
            {
                filterKey(builder, label, entry.getKey(), value);
            }
            catch (final ConfigFileException ex)
            {
                throw ex;
            }
            catch (final IllegalArgumentException ex)
            {
                throw reader.error(value, ex.getMessage());
            }
        }

        try
        {
            return builder.build();
        }
        catch (final RuleKeyException ex)
        {
            final NodeTuple tuple = keys.get(ex.key());
            throw reader.error(null == tuple ? mapping : tuple.getKeyNode(), ex.getMessage());
        }
    }

    private void filterKey(final FilterRuleBuilder builder, final String label, final String key, final Node value)
    {
        switch (key)
        {
            case "name" ->
            {
            }
            case "vlan" -> builder.vlan(vlan(value, label));
            case "ether_type" -> builder.etherType(etherType(value, label));
            case "ip" ->
            {
                final String text = reader.text(value, label + key, "4 or 6");
                if (!"4".equals(text) && !"6".equals(text))
                {
                    throw reader.error(value, label + "ip '" + text + "' is not one of 4, 6");
                }
                builder.ipVersion(Integer.parseInt(text));
            }
            case "proto" -> builder.protocol(protocol(value, label));
            case "src" -> builder.source(reader.text(value, label + key, PREFIX_EXPECTED));
            case "dst" -> builder.destination(reader.text(value, label + key, PREFIX_EXPECTED));
            case "src_port" ->
            {
                final int[] range = ports(value, label, key);
                builder.srcPorts(range[0], range[1]);
            }
            case "dst_port" ->
            {
                final int[] range = ports(value, label, key);
                builder.dstPorts(range[0], range[1]);
            }
            case "tcp_flags" -> builder.tcpFlags(tcpFlags(value, label));
            case "icmp_type" -> builder.icmpType((int)reader.number(value, label + key, 0, 255, "a number"));
            case "icmp_code" -> builder.icmpCode((int)reader.number(value, label + key, 0, 255, "a number"));
            case "fragment" -> builder.fragment(reader.bool(value, label + key));
            case "action" -> builder.action(filterAction(value, label));
            case "swap" -> swap(builder, value, label);
            case "to" -> builder.forwardTo(reader.text(value, label + key, "an interface name"));
            case "block_if" ->
            {
                // read by filterRules, once the rule is built
            }
            default -> throw new IllegalStateException(key);
        }
    }

    // ---------------------------------------------------------------- structure

    private static String nameOf(final Node item, final String defaultName)
    {
        if (item instanceof MappingNode mapping)
        {
            for (final NodeTuple tuple : mapping.getValue())
            {
                if (tuple.getKeyNode() instanceof ScalarNode key && "name".equals(key.getValue()) &&
                    tuple.getValueNode() instanceof ScalarNode value && !isNull(value))
                {
                    return value.getValue();
                }
            }
        }

        return defaultName;
    }

    private void checkNameType(final Map<String, NodeTuple> keys, final String label)
    {
        final NodeTuple nameTuple = keys.get("name");
        if (null != nameTuple)
        {
            reader.text(nameTuple.getValueNode(), label + "name", "a rule name");
        }
    }

    private void claimName(
        final String name,
        final MappingNode mapping,
        final Map<String, NodeTuple> keys,
        final String label,
        final String kind)
    {
        final NodeTuple nameTuple = keys.get("name");
        final String owner = ruleNames.putIfAbsent(name, kind + " at line " + line(mapping));
        if (null != owner)
        {
            throw reader.error(null == nameTuple ? mapping : nameTuple.getValueNode(),
                label + "name '" + name + "' is already used by the " + owner);
        }
    }

    // ---------------------------------------------------------------- values

    private int[] ports(final Node value, final String label, final String key)
    {
        final String expected = "a port or a range such as 9000-9009";
        final String text = reader.text(value, label + key, expected);
        final long low;
        final long high;
        final Matcher range = PORT_RANGE.matcher(text);
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
            throw reader.error(value, label + key + " '" + text + "' is not " + expected);
        }
        if (low < 0 || high > FlowRule.MAX_PORT || low > FlowRule.MAX_PORT)
        {
            throw reader.error(value, label + key + " " + text + " is not within 0-65535");
        }
        if (low > high)
        {
            throw reader.error(value, label + key + " " + text +
                " is backwards: the first port must not exceed the last");
        }

        return new int[] { (int)low, (int)high };
    }

    private int protocol(final Node value, final String label)
    {
        final String text = reader.text(value, label + "proto", Names.PROTOCOLS);
        final int named = Names.protocol(text.toLowerCase(Locale.ROOT));
        if (-2 != named)
        {
            return named;
        }
        if (!YamlReader.isNumber(text))
        {
            throw reader.error(value, label + "proto '" + text + "' is not one of " + Names.PROTOCOLS);
        }

        return (int)reader.number(value, label + "proto", 0, 255, Names.PROTOCOLS);
    }

    private int vlan(final Node value, final String label)
    {
        final String text = reader.text(value, label + "vlan", "a VLAN id 0..4095 or none");
        if ("none".equalsIgnoreCase(text))
        {
            return FilterRule.VLAN_NONE;
        }

        return (int)reader.number(value, label + "vlan", 0, FilterRule.MAX_VLAN_ID, "a VLAN id 0..4095 or none");
    }

    private int etherType(final Node value, final String label)
    {
        final String text = reader.text(value, label + "ether_type", Names.ETHER_TYPES);
        final int named = Names.etherType(text.toLowerCase(Locale.ROOT));
        if (named >= 0)
        {
            return named;
        }
        final long number = YamlReader.parseNumber(text);
        if (YamlReader.NOT_A_NUMBER == number)
        {
            throw reader.error(value, label + "ether_type '" + text + "' is not one of " + Names.ETHER_TYPES);
        }
        if (number < 0 || number > 0xFFFF)
        {
            throw reader.error(value, label + "ether_type " + text + " is not within 0-0xffff");
        }

        return (int)number;
    }

    private String tcpFlags(final Node value, final String label)
    {
        if (value instanceof SequenceNode sequence)
        {
            final List<String> flags = new ArrayList<>();
            for (final Node item : sequence.getValue())
            {
                flags.add(reader.text(item, label + "tcp_flags", "a flag name"));
            }

            return String.join(",", flags);
        }

        return reader.text(value, label + "tcp_flags", "flags such as \"syn,!ack\"");
    }

    private void swap(final FilterRuleBuilder builder, final Node value, final String label)
    {
        final List<Node> items = value instanceof SequenceNode sequence ? sequence.getValue() : List.of(value);
        boolean ip = false;
        boolean ports = false;
        for (final Node item : items)
        {
            final String text = reader.text(item, label + "swap", "a list of ip, ports");
            switch (text.toLowerCase(Locale.ROOT))
            {
                case "ip" -> ip = true;
                case "ports" -> ports = true;
                default -> throw reader.error(item, label + "swap '" + text +
                    "' is not one of ip, ports (MACs are always swapped)");
            }
        }
        builder.swap(ip, ports);
    }

    private Action filterAction(final Node value, final String label)
    {
        final String text = reader.text(value, label + "action", FILTER_ACTIONS);
        final Action action = Action.byLabel(text.toLowerCase(Locale.ROOT));
        if (null == action)
        {
            throw reader.error(value, label + "action '" + text + "' is not one of " + FILTER_ACTIONS);
        }

        return action;
    }

    private Action defaultAction(final Node value)
    {
        final String text = reader.text(value, "default", DEFAULT_ACTIONS);
        final Action action = Action.byLabel(text.toLowerCase(Locale.ROOT));
        if (Action.DROP != action && Action.COUNT != action && Action.REFLECT != action)
        {
            throw reader.error(value, "default '" + text + "' is not one of " + DEFAULT_ACTIONS);
        }

        return action;
    }

    private FlowRule.Action steerAction(final Node value, final String label)
    {
        final String text = reader.text(value, label + "action", STEER_ACTIONS);
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "steer" -> FlowRule.Action.STEER;
            case "pass" -> FlowRule.Action.PASS;
            case "drop" -> FlowRule.Action.DROP;
            default -> throw reader.error(value, label + "action '" + text + "' is not one of " + STEER_ACTIONS);
        };
    }

    private Prefix steerPrefix(final Node value, final String label, final String key)
    {
        final String text = reader.text(value, label + key, PREFIX_EXPECTED);
        final Prefix prefix;
        try
        {
            prefix = Prefix.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw reader.error(value, label + key + ": " + ex.getMessage());
        }
        if (Prefix.ANY != prefix && 0 == prefix.mappedLength())
        {
            throw reader.error(value, label + key + " " + text + " would match IPv4 too in the XDP program; " +
                "leave " + key + " out to match any address");
        }

        return prefix;
    }
}
