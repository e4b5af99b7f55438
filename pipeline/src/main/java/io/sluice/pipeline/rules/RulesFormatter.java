package io.sluice.pipeline.rules;

import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.BlockingPolicy;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;

import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * Writes {@link Rules} back as a rules file: every section in the file's own keys, one rule per line as a YAML flow
 * mapping, so that what {@code ./sluice rules show} prints can be read again by {@link RulesFile} into equal rules,
 * and saved as the file to load next time. Only what differs from a key's default is written, as a person would.
 * <p>
 * Each rule's line may end in a comment, what {@code rules show} puts there: the rule's hits.
 */
public final class RulesFormatter
{
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.:/@+=-]*");
    private static final long NS_PER_MS = 1_000_000L;
    private static final long NS_PER_S = 1_000_000_000L;

    private RulesFormatter()
    {
    }

    /**
     * @param rules the rules.
     * @return them as a rules file.
     */
    public static String format(final Rules rules)
    {
        return format(rules, (id) -> null, (index) -> null);
    }

    /**
     * @param rules          the rules.
     * @param steerComment   per steering rule id, a comment for the end of its line, or null for none.
     * @param filterComment  per filter rule index, a comment for the end of its line, or null for none; index
     *                       {@code -1} is the {@code default} line's.
     * @return them as a rules file.
     */
    public static String format(
        final Rules rules, final IntFunction<String> steerComment, final IntFunction<String> filterComment)
    {
        final StringBuilder text = new StringBuilder();
        final List<FlowRule> steering = rules.steering();
        if (!steering.isEmpty())
        {
            text.append("steer:\n");
            for (final FlowRule rule : steering)
            {
                text.append("  - ").append(steerRule(rule, rules.steeringName(rule.id())));
                comment(text, steerComment.apply(rule.id()));
            }
        }
        text.append("steer_all: ").append(rules.steerAll()).append('\n');

        final RuleSet filter = rules.filter();
        if (filter.size() > 0)
        {
            text.append("filter:\n");
            for (int i = 0; i < filter.size(); i++)
            {
                final String mapping = FilterRuleFormatter.flowMapping(filter.rule(i));
                final BlockTrigger trigger = triggerOf(rules.triggers(), i);
                text.append("  - ").append(null == trigger ? mapping :
                    mapping.substring(0, mapping.length() - 1) + ", block_if: " + blockIf(trigger) + "}");
                comment(text, filterComment.apply(i));
            }
        }
        text.append("default: ").append(filter.defaultAction().label());
        comment(text, filterComment.apply(-1));
        text.append("blocking: ").append(blocking(rules.blocking())).append('\n');

        return text.toString();
    }

    /**
     * @param value a scalar for a flow mapping: a name, an interface, a prefix.
     * @return it as is when YAML reads it back unchanged, else single-quoted ({@code '::1/128'}).
     */
    static String scalar(final String value)
    {
        return PLAIN.matcher(value).matches() && !"true".equals(value) && !"false".equals(value) &&
            !"null".equals(value) ? value : "'" + value.replace("'", "''") + "'";
    }

    private static String steerRule(final FlowRule rule, final String name)
    {
        final StringBuilder text = new StringBuilder("{name: ").append(scalar(name));
        if (FlowRule.ANY_PROTOCOL != rule.protocol())
        {
            text.append(", proto: ").append(Names.protocolName(rule.protocol()));
        }
        if (Prefix.ANY != rule.source())
        {
            text.append(", src: ").append(scalar(rule.source().toString()));
        }
        if (Prefix.ANY != rule.destination())
        {
            text.append(", dst: ").append(scalar(rule.destination().toString()));
        }
        if (0 != rule.dstPortLow() || FlowRule.MAX_PORT != rule.dstPortHigh())
        {
            text.append(", dst_port: ").append(new PortRange(rule.dstPortLow(), rule.dstPortHigh()));
        }
        if (rule.priority() != rule.id())
        {
            text.append(", priority: ").append(rule.priority());
        }

        return text.append(", action: ").append(rule.action().name().toLowerCase(Locale.ROOT)).append('}').toString();
    }

    private static BlockTrigger triggerOf(final List<BlockTrigger> triggers, final int rule)
    {
        for (final BlockTrigger trigger : triggers)
        {
            if (trigger.rule() == rule)
            {
                return trigger;
            }
        }

        return null;
    }

    private static String blockIf(final BlockTrigger trigger)
    {
        final StringBuilder text = new StringBuilder("{pps: ").append(trigger.pps());
        if (BlockTrigger.WINDOW_NS_DEFAULT != trigger.windowNs())
        {
            text.append(", window_ms: ").append(trigger.windowNs() / NS_PER_MS);
        }
        if (trigger.synRatio() > 0)
        {
            text.append(", syn_ratio: ").append(trigger.synRatio());
        }
        if (32 != trigger.prefixV4())
        {
            text.append(", prefix: ").append(trigger.prefixV4());
        }
        if (128 != trigger.prefixV6())
        {
            text.append(", prefix6: ").append(trigger.prefixV6());
        }
        if (trigger.ttlNs() > 0)
        {
            text.append(", ttl_s: ").append(trigger.ttlNs() / NS_PER_S);
        }

        return text.append('}').toString();
    }

    private static String blocking(final BlockingPolicy policy)
    {
        final StringBuilder text = new StringBuilder("{ttl_s: ").append(policy.ttlNs() / NS_PER_S)
            .append(", max_blocks: ").append(policy.maxBlocks())
            .append(", track: ").append(policy.track())
            .append(", allow: [");
        for (int i = 0; i < policy.allow().size(); i++)
        {
            text.append(0 == i ? "" : ", ").append(scalar(policy.allow().get(i).toString()));
        }

        return text.append("]}").toString();
    }

    private static void comment(final StringBuilder text, final String comment)
    {
        if (null != comment)
        {
            text.append("  # ").append(comment);
        }
        text.append('\n');
    }
}
