package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The user-space filter: {@link FilterRule}s in order, the first that matches deciding, and the action for frames
 * no rule matches. Immutable, so every handler thread's {@link Filter} can share one.
 */
public final class RuleSet
{
    /**
     * Default action when the rules file names none: what Sluice was not told to handle is not sent anywhere.
     */
    public static final Action DEFAULT_ACTION_DEFAULT = Action.DROP;

    private final List<FilterRule> rules;
    private final Action defaultAction;
    private final List<String> forwardInterfaces;

    /**
     * @param rules         the rules, first match wins; names must be unique.
     * @param defaultAction action for frames no rule matches: {@link Action#DROP}, {@link Action#COUNT} or
     *                      {@link Action#REFLECT} (with MACs swapped only).
     * @throws IllegalArgumentException if a name repeats or the default action needs a target it cannot have.
     */
    public RuleSet(final List<FilterRule> rules, final Action defaultAction)
    {
        if (Action.DROP != defaultAction && Action.COUNT != defaultAction && Action.REFLECT != defaultAction)
        {
            throw new IllegalArgumentException(
                "default '" + (null == defaultAction ? null : defaultAction.label()) +
                "' is not one of drop, count, reflect");
        }

        final Set<String> names = new HashSet<>();
        final List<String> interfaces = new ArrayList<>();
        final List<FilterRule> indexed = new ArrayList<>(rules.size());
        for (final FilterRule rule : rules)
        {
            if (!names.add(rule.name()))
            {
                throw new IllegalArgumentException("filter rule name '" + rule.name() + "' appears twice");
            }
            int forwardIndex = FrameEvent.ABSENT;
            if (null != rule.forwardInterface())
            {
                forwardIndex = interfaces.indexOf(rule.forwardInterface());
                if (forwardIndex < 0)
                {
                    forwardIndex = interfaces.size();
                    interfaces.add(rule.forwardInterface());
                }
            }
            indexed.add(rule.withForwardIndex(forwardIndex));
        }

        this.rules = List.copyOf(indexed);
        this.defaultAction = defaultAction;
        this.forwardInterfaces = List.copyOf(interfaces);
    }

    /**
     * @return the rules in match order.
     */
    public List<FilterRule> rules()
    {
        return rules;
    }

    /**
     * @param index rule index, as {@link Filter#match} returns it.
     * @return the rule.
     */
    public FilterRule rule(final int index)
    {
        return rules.get(index);
    }

    /**
     * @return the number of rules.
     */
    public int size()
    {
        return rules.size();
    }

    /**
     * @param name a rule name.
     * @return the rule's index, or -1 if no rule has that name.
     */
    public int indexOf(final String name)
    {
        for (int i = 0; i < rules.size(); i++)
        {
            if (rules.get(i).name().equals(name))
            {
                return i;
            }
        }

        return -1;
    }

    /**
     * @return action for frames no rule matches.
     */
    public Action defaultAction()
    {
        return defaultAction;
    }

    /**
     * @return the distinct egress interfaces the forward rules name, in order of first use; a rule's
     * {@link FilterRule#forwardIndex()} indexes this list.
     */
    public List<String> forwardInterfaces()
    {
        return forwardInterfaces;
    }

    public String toString()
    {
        return "RuleSet{rules=" + rules + ", default=" + defaultAction.label() + "}";
    }
}
