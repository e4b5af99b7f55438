package io.sluice.pipeline.rules;

import io.sluice.pipeline.blocking.BlockTrigger;
import io.sluice.pipeline.blocking.BlockingPolicy;
import io.sluice.xsk.xdp.FlowRule;

import java.util.List;
import java.util.Map;

/**
 * A loaded rules file: the XDP steering rules that decide which packets reach Sluice, and the user-space filter
 * that decides what Sluice does with them. Immutable; {@link RulesFile} reads one.
 */
public final class Rules
{
    private final String source;
    private final List<FlowRule> steering;
    private final List<String> steeringNames;
    private final boolean steerAll;
    private final RuleSet filter;
    private final List<BlockTrigger> triggers;
    private final BlockingPolicy blocking;
    private Map<String, Integer> lines = Map.of();

    /**
     * {@link #line(String)} of the {@code blocking} section.
     */
    public static final String BLOCKING_LINE_KEY = "blocking";

    /**
     * @param source        name of the file the rules came from.
     * @param steering      steering rules; rule {@code i} has id {@code i}.
     * @param steeringNames name of each steering rule, by id.
     * @param steerAll      true to hand every frame to user space unparsed.
     * @param filter        the user-space filter.
     */
    public Rules(
        final String source,
        final List<FlowRule> steering,
        final List<String> steeringNames,
        final boolean steerAll,
        final RuleSet filter)
    {
        this(source, steering, steeringNames, steerAll, filter, List.of(), BlockingPolicy.DEFAULTS);
    }

    /**
     * @param source        name of the file the rules came from.
     * @param steering      steering rules; rule {@code i} has id {@code i}.
     * @param steeringNames name of each steering rule, by id.
     * @param steerAll      true to hand every frame to user space unparsed.
     * @param filter        the user-space filter.
     * @param triggers      the filter rules' {@code block_if}s, at most one per rule.
     * @param blocking      what every block shares.
     */
    public Rules(
        final String source,
        final List<FlowRule> steering,
        final List<String> steeringNames,
        final boolean steerAll,
        final RuleSet filter,
        final List<BlockTrigger> triggers,
        final BlockingPolicy blocking)
    {
        if (steering.size() != steeringNames.size())
        {
            throw new IllegalArgumentException(
                steering.size() + " steering rules but " + steeringNames.size() + " names");
        }
        for (int i = 0; i < steering.size(); i++)
        {
            if (steering.get(i).id() != i)
            {
                throw new IllegalArgumentException("steering rule " + i + " has id " + steering.get(i).id());
            }
        }
        this.source = source;
        this.steering = List.copyOf(steering);
        this.steeringNames = List.copyOf(steeringNames);
        this.steerAll = steerAll;
        this.filter = filter;
        for (final BlockTrigger trigger : triggers)
        {
            if (trigger.rule() < 0 || trigger.rule() >= filter.size() ||
                !filter.rule(trigger.rule()).name().equals(trigger.ruleName()))
            {
                throw new IllegalArgumentException("block_if of " + trigger.ruleName() + " names no filter rule");
            }
        }
        this.triggers = List.copyOf(triggers);
        this.blocking = blocking;
    }

    /**
     * @param name a filter rule's name.
     * @return its key for {@link #line(String)}.
     */
    public static String filterLineKey(final String name)
    {
        return "filter:" + name;
    }

    /**
     * @param lines where the file has each filter rule and section, by {@link #filterLineKey} and
     *              {@link #BLOCKING_LINE_KEY}.
     * @return these rules, knowing their lines.
     */
    Rules withLines(final Map<String, Integer> lines)
    {
        this.lines = Map.copyOf(lines);
        return this;
    }

    /**
     * @param key a filter rule's {@link #filterLineKey} or {@link #BLOCKING_LINE_KEY}.
     * @return its line in the file, 1-based, or 0 if unknown: for a problem found only when the rules are applied.
     */
    public int line(final String key)
    {
        return lines.getOrDefault(key, 0);
    }

    /**
     * @return the filter rules' {@code block_if}s.
     */
    public List<BlockTrigger> triggers()
    {
        return triggers;
    }

    /**
     * @return what every block shares: lifetime, cap, the detector's table size, the allowlist.
     */
    public BlockingPolicy blocking()
    {
        return blocking;
    }

    /**
     * @return name of the file the rules came from, as given to the loader.
     */
    public String source()
    {
        return source;
    }

    /**
     * @return steering rules in file order; rule {@code i} has id {@code i}, for {@code SteeringTables.replaceAll}.
     */
    public List<FlowRule> steering()
    {
        return steering;
    }

    /**
     * @param id a steering rule's id.
     * @return its name.
     */
    public String steeringName(final int id)
    {
        return steeringNames.get(id);
    }

    /**
     * @return the names of the steering rules, by id.
     */
    public List<String> steeringNames()
    {
        return steeringNames;
    }

    /**
     * @return true if the XDP program should hand every frame to user space unparsed.
     */
    public boolean steerAll()
    {
        return steerAll;
    }

    /**
     * @return the user-space filter.
     */
    public RuleSet filter()
    {
        return filter;
    }
}
