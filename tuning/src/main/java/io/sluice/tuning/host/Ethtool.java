package io.sluice.tuning.host;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ethtool}, run for one interface and its output parsed: channels ({@code -l/-L}), rings ({@code -g/-G}),
 * features ({@code -k/-K}) and ntuple rules ({@code -N}). A driver that lacks an operation answers "Operation not
 * supported"; the getters then return null and {@link #lastError()} says why.
 */
public final class Ethtool
{
    /**
     * ethtool's short feature names ({@code ethtool -K IF gro off}) and the names {@code ethtool -k} prints.
     */
    public static final Map<String, String> SHORT_NAMES = Map.ofEntries(
        Map.entry("rx", "rx-checksumming"),
        Map.entry("tx", "tx-checksumming"),
        Map.entry("sg", "scatter-gather"),
        Map.entry("tso", "tcp-segmentation-offload"),
        Map.entry("ufo", "udp-fragmentation-offload"),
        Map.entry("gso", "generic-segmentation-offload"),
        Map.entry("gro", "generic-receive-offload"),
        Map.entry("lro", "large-receive-offload"),
        Map.entry("rxvlan", "rx-vlan-offload"),
        Map.entry("txvlan", "tx-vlan-offload"),
        Map.entry("ntuple", "ntuple-filters"),
        Map.entry("rxhash", "receive-hashing"));

    private static final Pattern ADDED_RULE = Pattern.compile("Added rule with ID (\\d+)");
    private static final Pattern FEATURE = Pattern.compile("\\s*([a-z0-9_-]+): (on|off)( \\[fixed\\])?.*");

    private final String iface;
    private String lastError;

    /**
     * @param iface the interface, in the current network namespace.
     */
    public Ethtool(final String iface)
    {
        this.iface = iface;
    }

    /**
     * @param feature a short or long feature name.
     * @return the long name {@code ethtool -k} prints.
     */
    public static String longName(final String feature)
    {
        return SHORT_NAMES.getOrDefault(feature.toLowerCase(Locale.ROOT), feature.toLowerCase(Locale.ROOT));
    }

    /**
     * @return why the last getter returned null, or the last command failed: ethtool's own words.
     */
    public String lastError()
    {
        return lastError;
    }

    /**
     * @return {@code ethtool -l}: each channel kind's maximum and current count, or null if the driver has none.
     */
    public Pair channels()
    {
        return pair(Shell.run("ethtool", "-l", iface), List.of("rx", "tx", "other", "combined"));
    }

    /**
     * @return {@code ethtool -g}: the hardware rings' maximum and current sizes, or null if the driver has none.
     */
    public Pair rings()
    {
        return pair(Shell.run("ethtool", "-g", iface), List.of("rx", "rx mini", "rx jumbo", "tx"));
    }

    /**
     * @return {@code ethtool -k}: every feature's state, in the order printed, or null if it cannot be read.
     */
    public Map<String, Feature> features()
    {
        final Shell.Result result = Shell.run("ethtool", "-k", iface);
        if (!result.ok())
        {
            lastError = result.why();
            return null;
        }

        return parseFeatures(result.stdout());
    }

    /**
     * Run an {@code ethtool} command for this interface.
     *
     * @param option    {@code -L}, {@code -G}, {@code -K} or {@code -N}.
     * @param arguments what follows the interface.
     * @return the result.
     */
    public Shell.Result set(final String option, final List<String> arguments)
    {
        final List<String> command = new ArrayList<>(List.of("ethtool", option, iface));
        command.addAll(arguments);
        final Shell.Result result = Shell.run(command);
        lastError = result.ok() ? null : result.why();

        return result;
    }

    /**
     * @param arguments the rule, as {@code flow-type udp4 dst-port 4789 action 0}.
     * @return the rule's id, or -1 if the driver refused it ({@link #lastError()} says why).
     */
    public int addNtupleRule(final String arguments)
    {
        final Shell.Result result = set("-N", List.of(arguments.split(" ")));
        if (!result.ok())
        {
            return -1;
        }
        final Matcher added = ADDED_RULE.matcher(result.stdout());

        return added.find() ? Integer.parseInt(added.group(1)) : -1;
    }

    /**
     * @param output {@code ethtool -k}'s output.
     * @return each feature's state, in the order printed.
     */
    public static Map<String, Feature> parseFeatures(final String output)
    {
        final Map<String, Feature> features = new LinkedHashMap<>();
        String parent = null;
        for (final String line : output.split("\n"))
        {
            final Matcher matcher = FEATURE.matcher(line);
            if (!matcher.matches())
            {
                continue;
            }
            final boolean child = Character.isWhitespace(line.charAt(0));
            if (child && null != parent)
            {
                // an indented line is one of the group the line above it sums up; the group is not a feature itself
                final Feature group = features.get(parent);
                features.put(parent, new Feature(group.on(), group.fixed(), true));
            }
            features.put(matcher.group(1),
                new Feature("on".equals(matcher.group(2)), null != matcher.group(3), false));
            if (!child)
            {
                parent = matcher.group(1);
            }
        }

        return features;
    }

    /**
     * @param output {@code ethtool -l} or {@code -g} output.
     * @param kinds  the lines to read, lower case, as {@code rx}, {@code combined}.
     * @return the maximum and current values; -1 for {@code n/a}.
     */
    public static Pair parsePair(final String output, final List<String> kinds)
    {
        final Map<String, Long> max = new LinkedHashMap<>();
        final Map<String, Long> current = new LinkedHashMap<>();
        Map<String, Long> into = null;
        for (final String line : output.split("\n"))
        {
            final String lower = line.strip().toLowerCase(Locale.ROOT);
            if (lower.startsWith("pre-set maximums"))
            {
                into = max;
                continue;
            }
            if (lower.startsWith("current hardware settings"))
            {
                into = current;
                continue;
            }
            final int colon = lower.indexOf(':');
            if (null == into || colon < 0)
            {
                continue;
            }
            final String kind = lower.substring(0, colon).strip();
            if (kinds.contains(kind) && !into.containsKey(kind))
            {
                final String value = lower.substring(colon + 1).strip();
                into.put(kind, value.matches("[0-9]+") ? Long.parseLong(value) : -1L);
            }
        }

        return new Pair(max, current);
    }

    private Pair pair(final Shell.Result result, final List<String> kinds)
    {
        if (!result.ok())
        {
            lastError = result.why();
            return null;
        }

        return parsePair(result.stdout(), kinds);
    }

    /**
     * A feature as {@code ethtool -k} shows it.
     *
     * @param on    its state; for a group, the state ethtool sums up from its members.
     * @param fixed true if the driver does not let it change.
     * @param group true for a line that sums up the indented features below it ({@code tcp-segmentation-offload}):
     *              setting it sets them all, so a revert restores the members instead.
     */
    public record Feature(boolean on, boolean fixed, boolean group)
    {
    }

    /**
     * Maximum and current values of {@code ethtool -l} or {@code -g}.
     *
     * @param max     kind to maximum; -1 for {@code n/a}.
     * @param current kind to current value; -1 for {@code n/a}.
     */
    public record Pair(Map<String, Long> max, Map<String, Long> current)
    {
        /**
         * @param kind {@code rx}, {@code tx}, {@code combined}, ...
         * @return the current value, or -1 for {@code n/a} or absent.
         */
        public long current(final String kind)
        {
            return current.getOrDefault(kind, -1L);
        }

        /**
         * @param kind {@code rx}, {@code tx}, {@code combined}, ...
         * @return the maximum, or -1 for {@code n/a} or absent.
         */
        public long max(final String kind)
        {
            return max.getOrDefault(kind, -1L);
        }
    }
}
