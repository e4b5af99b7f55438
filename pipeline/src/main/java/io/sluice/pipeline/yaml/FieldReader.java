package io.sluice.pipeline.yaml;

import io.sluice.xsk.util.CpuList;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import static io.sluice.pipeline.yaml.YamlReader.isNull;
import static io.sluice.pipeline.yaml.YamlReader.kind;

/**
 * Reads a file's values over a {@link YamlReader}, wording every problem as {@code FIELD: why (allowed: values)},
 * the shape a NIC profile's messages take: {@code rings.rx: 3000 is not a power of two (allowed: powers of two
 * 64..16384)}. {@link YamlReader}'s own value readers word theirs as {@code FIELD problem}, as the rules file does.
 * <p>
 * Control plane only: it allocates freely and is not thread-safe; use one per file read.
 */
public final class FieldReader
{
    private final YamlReader reader;

    /**
     * @param reader the file's reader, which places each problem at its file and line.
     */
    public FieldReader(final YamlReader reader)
    {
        this.reader = reader;
    }

    /**
     * @param value the value of a key whose value is a mapping.
     * @param key   the key, for messages: {@code rings}.
     * @param keys  the keys the mapping may have.
     * @return its keys in the order written, as {@link YamlReader#keys}; none for a key given no value.
     * @throws ConfigFileException {@code KEY: expected a mapping, not KIND}, or at an unknown or repeated key.
     */
    public Map<String, NodeTuple> section(final Node value, final String key, final List<String> keys)
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

    /**
     * @param value  the value node: one of the labels, in any case.
     * @param field  what the value is, for messages.
     * @param values the choices.
     * @param label  each choice as written, lower case.
     * @param <E>    the choices' type.
     * @return the choice the value names.
     * @throws ConfigFileException {@code FIELD: unknown value 'TEXT' (allowed: labels)}.
     */
    public <E> E choice(final Node value, final String field, final E[] values, final Function<E, String> label)
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

    /**
     * @param value the value node: {@code true} or {@code false}, in any case.
     * @param field what the value is, for messages.
     * @return the boolean.
     * @throws ConfigFileException {@code FIELD: unknown value 'TEXT' (allowed: true, false)}.
     */
    public boolean bool(final Node value, final String field)
    {
        return choice(value, field, new Boolean[] { true, false }, String::valueOf);
    }

    /**
     * @param value   the value node: decimal, or hex with {@code 0x}.
     * @param field   what the value is, for messages.
     * @param min     least allowed.
     * @param max     most allowed.
     * @param allowed what is allowed, for messages.
     * @return the number.
     * @throws ConfigFileException {@code FIELD: 'TEXT' is not a number} or {@code FIELD: TEXT is out of range}.
     */
    public long number(final Node value, final String field, final long min, final long max, final String allowed)
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

    /**
     * @param value   the value node.
     * @param field   what the value is, for messages.
     * @param allowed what is allowed, for messages.
     * @return the value's text as written, stripped.
     * @throws ConfigFileException when there is no value, YAML read a tag, or the value is a list or mapping.
     */
    public String scalar(final Node value, final String field, final String allowed)
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

    /**
     * A CPU list, read by {@link CpuList#append(int[], String)} across its items: the order given, and a CPU may be
     * listed again, as stages may share one.
     *
     * @param value   a list whose items are CPUs or ranges ({@code [0, 1-3]}), or one CPU list ({@code "0-2,4"}).
     * @param field   what the value is, for messages.
     * @param allowed what is allowed, for messages.
     * @return the CPUs in the order written; none for {@code []}.
     * @throws ConfigFileException at the bad item: {@code FIELD: range 3-1 runs backwards (allowed: ...)}.
     */
    public int[] cpus(final Node value, final String field, final String allowed)
    {
        return cpus(value, field, allowed, false);
    }

    /**
     * As {@link #cpus(Node, String, String)}, each CPU once ({@link CpuList#requireDistinct(int[], int)}).
     *
     * @param value   a list whose items are CPUs or ranges, or one CPU list.
     * @param field   what the value is, for messages.
     * @param allowed what is allowed, for messages.
     * @return the CPUs in the order written; none for {@code []}.
     * @throws ConfigFileException at the bad item: {@code FIELD: 2 is listed twice (allowed: ...)}.
     */
    public int[] distinctCpus(final Node value, final String field, final String allowed)
    {
        return cpus(value, field, allowed, true);
    }

    private int[] cpus(final Node value, final String field, final String allowed, final boolean distinct)
    {
        final List<Node> items = value instanceof SequenceNode sequence ? sequence.getValue() : List.of(value);
        int[] cpus = new int[0];
        for (final Node item : items)
        {
            final String text = scalar(item, field, allowed);
            try
            {
                final int before = cpus.length;
                cpus = CpuList.append(cpus, text);
                if (distinct)
                {
                    CpuList.requireDistinct(cpus, before);
                }
            }
            catch (final IllegalArgumentException ex)
            {
                throw problem(item, field, ex.getMessage(), allowed);
            }
        }

        return cpus;
    }

    /**
     * @param node    where the problem is.
     * @param field   what the value is.
     * @param why     what is wrong.
     * @param allowed what is allowed.
     * @return {@code FILE:LINE: FIELD: WHY (allowed: ALLOWED)}, to throw.
     */
    public ConfigFileException problem(final Node node, final String field, final String why, final String allowed)
    {
        return reader.error(node, field + ": " + why + " (allowed: " + allowed + ")");
    }

    /**
     * @param value a scalar.
     * @return its text as written, for messages: {@code 0xBB8} stays {@code 0xBB8}.
     */
    public static String text(final Node value)
    {
        return ((ScalarNode)value).getValue().strip();
    }
}
