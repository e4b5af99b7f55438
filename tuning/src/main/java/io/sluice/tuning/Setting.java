package io.sluice.tuning;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One host setting tuning changes, with its value before and the value the profile wants: the unit a state file
 * saves and a revert restores.
 *
 * @param kind   how it is read and written.
 * @param target the interface ({@link Kind#CHANNELS}, {@link Kind#RINGS}, {@link Kind#FEATURES},
 *               {@link Kind#NTUPLE}) or the file ({@link Kind#FILE}).
 * @param field  the profile field it comes from, for messages: {@code queues}, {@code offloads.off}.
 * @param before the values before: for {@link Kind#FEATURES} every feature the driver lets change, so a revert
 *               restores all of them; for {@link Kind#FILE} {@code value}; for {@link Kind#NTUPLE} nothing.
 * @param after  the values wanted, only those that change: {@code rx -> 2}; for {@link Kind#NTUPLE} {@code rule},
 *               and {@code id} once added.
 */
public record Setting(Kind kind, String target, String field, Map<String, String> before, Map<String, String> after)
{
    /**
     * The key of {@link Kind#FILE}'s one value.
     */
    public static final String VALUE = "value";

    public Setting
    {
        before = new LinkedHashMap<>(before);
        after = new LinkedHashMap<>(after);
    }

    /**
     * How a setting is read and written.
     */
    public enum Kind
    {
        /**
         * {@code ethtool -L}.
         */
        CHANNELS("-L"),

        /**
         * {@code ethtool -G}.
         */
        RINGS("-G"),

        /**
         * {@code ethtool -K}.
         */
        FEATURES("-K"),

        /**
         * {@code ethtool -N}: a rule added, deleted on revert.
         */
        NTUPLE("-N"),

        /**
         * A file under {@code /proc} or {@code /sys}: sysfs, sysctl, IRQ affinity, hugepages.
         */
        FILE(null);

        private final String ethtoolOption;

        Kind(final String ethtoolOption)
        {
            this.ethtoolOption = ethtoolOption;
        }

        /**
         * @return the {@code ethtool} option that sets it, e.g. {@code -L}.
         * @throws IllegalArgumentException for {@link #FILE}.
         */
        public String ethtoolOption()
        {
            if (null == ethtoolOption)
            {
                throw new IllegalArgumentException("a file is written, not set with ethtool");
            }

            return ethtoolOption;
        }
    }

    /**
     * @param path   the file.
     * @param field  the profile field.
     * @param before its value now.
     * @param after  the value wanted.
     * @return the setting.
     */
    public static Setting file(final String path, final String field, final String before, final String after)
    {
        return new Setting(Kind.FILE, path, field, Map.of(VALUE, before), Map.of(VALUE, after));
    }

    /**
     * @return true if applying it changes something.
     */
    public boolean changes()
    {
        if (Kind.NTUPLE == kind)
        {
            return true;
        }
        for (final Map.Entry<String, String> entry : after.entrySet())
        {
            if (!entry.getValue().equals(before.get(entry.getKey())))
            {
                return true;
            }
        }

        return false;
    }

    /**
     * @return the command that applies it, as a user would type it: {@code ethtool -L veth0 rx 2 tx 2},
     * {@code echo 2 > /sys/class/net/veth0/napi_defer_hard_irqs}.
     */
    public String command()
    {
        return switch (kind)
        {
            case FILE -> "echo " + after.get(VALUE) + " > " + target;
            case NTUPLE -> "ethtool -N " + target + " " + after.get("rule");
            default -> "ethtool " + kind.ethtoolOption() + " " + target + " " + pairs(after);
        };
    }

    /**
     * @return the arguments after {@code ethtool -X IF} that apply it.
     */
    public List<String> arguments()
    {
        final List<String> arguments = new ArrayList<>();
        if (Kind.NTUPLE == kind)
        {
            arguments.addAll(List.of(after.get("rule").split(" ")));
            return arguments;
        }
        for (final Map.Entry<String, String> entry : after.entrySet())
        {
            arguments.add(entry.getKey());
            arguments.add(entry.getValue());
        }

        return arguments;
    }

    /**
     * @return what changes, from what to what: {@code rx 4 -> 2, tx 4 -> 2}; {@code 0 -> 2}.
     */
    public String change()
    {
        if (Kind.NTUPLE == kind)
        {
            return "new rule: " + after.get("rule");
        }
        if (Kind.FILE == kind)
        {
            return field + ": " + before.get(VALUE) + " -> " + after.get(VALUE);
        }
        final StringBuilder text = new StringBuilder(field).append(": ");
        boolean first = true;
        for (final Map.Entry<String, String> entry : after.entrySet())
        {
            if (!first)
            {
                text.append(", ");
            }
            first = false;
            text.append(entry.getKey()).append(' ').append(before.getOrDefault(entry.getKey(), "?")).append(" -> ")
                .append(entry.getValue());
        }

        return text.toString();
    }

    private static String pairs(final Map<String, String> values)
    {
        final StringBuilder text = new StringBuilder();
        for (final Map.Entry<String, String> entry : values.entrySet())
        {
            if (!text.isEmpty())
            {
                text.append(' ');
            }
            text.append(entry.getKey()).append(' ').append(entry.getValue());
        }

        return text.toString();
    }
}
