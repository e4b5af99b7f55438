package io.sluice.pipeline.yaml;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one human-edited YAML file through snakeyaml-engine's node API rather than its Java objects, because nodes
 * keep what a good message needs: each value's line, and its text as written whatever type the YAML schema would
 * give it ({@code off} stays {@code off}, {@code 0x800} stays {@code 0x800}).
 * <p>
 * Every problem is thrown as the {@link ConfigFileException} subclass the loader's {@link ErrorFactory} makes, with one
 * line, {@code FILE:LINE: problem}. The value readers word a problem as {@code FIELD problem}, where {@code FIELD} is
 * what the caller passes, e.g. {@code filter rule 'a': dst_port}; loaders that want other wording read the scalar
 * themselves with {@link #isNull(Node)}, {@link #isTagged(ScalarNode)} and {@link #kind(Node)}.
 * <p>
 * Control plane only: it allocates freely and is not thread-safe; use one per file read.
 */
public final class YamlReader
{
    /**
     * Makes the exception a file's loader throws, so callers can catch {@code RulesFileException} or
     * {@code ProfileException} rather than the generic type.
     */
    @FunctionalInterface
    public interface ErrorFactory
    {
        /**
         * @param source  the file's name.
         * @param line    1-based line, or 0 when the problem is not at a line.
         * @param problem what is wrong.
         * @return the exception to throw.
         */
        ConfigFileException newError(String source, int line, String problem);
    }

    /**
     * What {@link #parseNumber(String)} returns for text that is not a number.
     */
    public static final long NOT_A_NUMBER = Long.MIN_VALUE;

    /**
     * What {@link #parseNumber(String)} returns for a positive number too big for a long: above any range a caller
     * checks, so it is reported as out of range rather than as not a number.
     */
    public static final long TOO_BIG = Long.MAX_VALUE;

    /**
     * What {@link #parseNumber(String)} returns for a negative number too small for a long: below any range a caller
     * checks, and distinct from {@link #NOT_A_NUMBER}.
     */
    public static final long TOO_SMALL = Long.MIN_VALUE + 1;

    /**
     * Tags the core schema gives plain values; any other tag came from a {@code !name} the author most likely meant
     * as text.
     */
    private static final Set<Tag> SCALAR_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL);
    private static final Pattern NUMBER = Pattern.compile("-?(?:[0-9]+|0[xX][0-9a-fA-F]+)");

    private final String source;
    private final ErrorFactory errors;

    /**
     * @param source name of the file to report in messages, e.g. {@code rules.yaml}.
     * @param errors makes the exception of the file's kind.
     */
    public YamlReader(final String source, final ErrorFactory errors)
    {
        this.source = source;
        this.errors = errors;
    }

    /**
     * @return the file's name as messages give it.
     */
    public String source()
    {
        return source;
    }

    /**
     * Read a file's text, turning the usual failures into one line each.
     *
     * @param path   the file; its name in messages is {@code path.toString()}.
     * @param errors makes the exception of the file's kind.
     * @return the file's text.
     * @throws ConfigFileException {@code FILE: cannot read: why}.
     */
    public static String readFile(final Path path, final ErrorFactory errors)
    {
        final String source = path.toString();
        try
        {
            return Files.readString(path);
        }
        catch (final NoSuchFileException ex)
        {
            throw errors.newError(source, 0, "cannot read: no such file");
        }
        catch (final AccessDeniedException ex)
        {
            throw errors.newError(source, 0, "cannot read: permission denied");
        }
        catch (final CharacterCodingException ex)
        {
            throw errors.newError(source, 0, "cannot read: not UTF-8 text");
        }
        catch (final IOException ex)
        {
            throw errors.newError(source, 0, "cannot read: " +
                (null == ex.getMessage() ? ex.getClass().getSimpleName() : ex.getMessage()));
        }
    }

    /**
     * Compose the file's one document.
     *
     * @param yaml the file's text.
     * @return its root node, or null if it holds no document (empty, or comments only).
     * @throws ConfigFileException {@code FILE:LINE: YAML: problem} for a syntax error, at the line YAML found it.
     */
    public Node compose(final String yaml)
    {
        final LoadSettings settings = LoadSettings.builder().setLabel(source).build();
        try
        {
            return new Compose(settings).composeString(yaml).orElse(null);
        }
        catch (final MarkedYamlEngineException ex)
        {
            final Optional<Mark> problemMark = ex.getProblemMark();
            final Optional<Mark> contextMark = ex.getContextMark();
            final int line = problemMark.or(() -> contextMark).map((mark) -> mark.getLine() + 1).orElse(0);
            final String context = null == ex.getContext() || ex.getContext().isBlank() ? null : ex.getContext();
            String problem = null != ex.getProblem() ? ex.getProblem() : context;
            if (null != ex.getProblem() && null != context)
            {
                problem += " (" + context +
                    contextMark.map((mark) -> " at line " + (mark.getLine() + 1)).orElse("") + ")";
            }
            throw errors.newError(source, line, "YAML: " + problem);
        }
        catch (final ReaderException ex)
        {
            throw errors.newError(source, lineOfCodePoint(yaml, ex.getPosition()),
                String.format("YAML: character U+%04X is not allowed", ex.getCodePoint()));
        }
        catch (final YamlEngineException ex)
        {
            throw errors.newError(source, 0, "YAML: " + ex.getMessage());
        }
    }

    /**
     * Compose the file and check that its top level is a mapping, as every Sluice file's is.
     *
     * @param yaml        the file's text.
     * @param allowedKeys the top level's keys, named in the message when the file is empty or not a mapping.
     * @return the top-level mapping.
     * @throws ConfigFileException for a syntax error, an empty file, or a top level that is not a mapping.
     */
    public MappingNode composeMapping(final String yaml, final List<String> allowedKeys)
    {
        final Node root = compose(yaml);
        if (null == root || isNull(root))
        {
            throw error(1, "the file is empty; expected a mapping with keys " + String.join(", ", allowedKeys));
        }
        if (!(root instanceof MappingNode mapping))
        {
            throw error(root, "the top level must be a mapping with keys " + String.join(", ", allowedKeys) +
                ", not " + kind(root));
        }

        return mapping;
    }

    /**
     * A mapping's keys, in the order written, each checked against the allowed set and for repeats (which YAML 1.2
     * forbids but snakeyaml-engine's composer lets through).
     *
     * @param mapping the mapping.
     * @param label   prefix for messages, e.g. {@code "filter rule 'a': "}, or empty.
     * @param allowed the keys it may have, listed in the message for an unknown one.
     * @return key to its key and value nodes, in the order written.
     * @throws ConfigFileException at the key: not a name, unknown, or given twice.
     */
    public Map<String, NodeTuple> keys(final MappingNode mapping, final String label, final List<String> allowed)
    {
        final Map<String, NodeTuple> keys = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue())
        {
            final Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode scalar) || isNull(keyNode))
            {
                throw error(keyNode, label + "a key must be a name, not " + kind(keyNode));
            }
            final String key = scalar.getValue();
            if (!allowed.contains(key))
            {
                throw error(keyNode, label + "unknown key '" + key + "'; allowed keys are " +
                    String.join(", ", allowed));
            }
            final NodeTuple first = keys.putIfAbsent(key, tuple);
            if (null != first)
            {
                throw error(keyNode, label + "key " + key + " appears twice (first at line " +
                    line(first.getKeyNode()) + ")");
            }
        }

        return keys;
    }

    /**
     * @param value    the value node.
     * @param field    what the value is, for messages: {@code steer}.
     * @param expected what it must be, for messages: {@code a list of rules}.
     * @return the list's items; empty for a key given no value.
     * @throws ConfigFileException {@code FIELD must be EXPECTED, not KIND}.
     */
    public List<Node> list(final Node value, final String field, final String expected)
    {
        if (isNull(value))
        {
            return List.of();
        }
        if (!(value instanceof SequenceNode sequence))
        {
            throw error(value, field + " must be " + expected + ", not " + kind(value));
        }

        return sequence.getValue();
    }

    /**
     * @param value    the value node.
     * @param field    what the value is, for messages: {@code filter rule 'a': to}.
     * @param expected what it must be, for messages: {@code an interface name}.
     * @return the value's text as written, stripped.
     * @throws ConfigFileException when there is no value, YAML read a tag, or the value is a list or mapping.
     */
    public String text(final Node value, final String field, final String expected)
    {
        if (value instanceof ScalarNode scalar)
        {
            if (isNull(scalar))
            {
                throw error(value, field + " has no value; expected " + expected);
            }
            if (isTagged(scalar))
            {
                throw error(value, field + ": YAML reads '" + scalar.getTag().getValue() +
                    "' as a tag; put the value in quotes");
            }

            return scalar.getValue().strip();
        }

        throw error(value, field + " must be " + expected + ", not " + kind(value));
    }

    /**
     * @param value    the value node: decimal, or hex with {@code 0x}.
     * @param field    what the value is, for messages.
     * @param min      least allowed.
     * @param max      most allowed.
     * @param expected what it must be, for messages: {@code a number}.
     * @return the number.
     * @throws ConfigFileException {@code FIELD 'TEXT' is not EXPECTED} or {@code FIELD TEXT is not within MIN-MAX}.
     */
    public long number(final Node value, final String field, final long min, final long max, final String expected)
    {
        final String text = text(value, field, expected);
        final long number = parseNumber(text);
        if (NOT_A_NUMBER == number)
        {
            throw error(value, field + " '" + text + "' is not " + expected);
        }
        if (number < min || number > max)
        {
            throw error(value, field + " " + text + " is not within " + min + "-" + max);
        }

        return number;
    }

    /**
     * @param value the value node: {@code true} or {@code false} in any case, as YAML 1.2's core schema has them.
     * @param field what the value is, for messages.
     * @return the boolean.
     * @throws ConfigFileException {@code FIELD 'TEXT' is not one of true, false}.
     */
    public boolean bool(final Node value, final String field)
    {
        final String text = text(value, field, "true or false");
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "true" -> true;
            case "false" -> false;
            default -> throw error(value, field + " '" + text + "' is not one of true, false");
        };
    }

    /**
     * @param node    where the problem is.
     * @param problem what is wrong.
     * @return the exception to throw, at the node's line.
     */
    public ConfigFileException error(final Node node, final String problem)
    {
        return errors.newError(source, line(node), problem);
    }

    /**
     * @param line    1-based line, or 0 when the problem is not at a line.
     * @param problem what is wrong.
     * @return the exception to throw.
     */
    public ConfigFileException error(final int line, final String problem)
    {
        return errors.newError(source, line, problem);
    }

    /**
     * @param text e.g. {@code 9000}, {@code -3} or {@code 0x88cc}.
     * @return true if {@link #parseNumber(String)} reads it as a number, fitting a long or not.
     */
    public static boolean isNumber(final String text)
    {
        return NUMBER.matcher(text).matches();
    }

    /**
     * @param text decimal or {@code 0x} hex, optionally negative.
     * @return the value; {@link #TOO_BIG} or {@link #TOO_SMALL} if it does not fit a long; {@link #NOT_A_NUMBER} if
     * it is not a number.
     */
    public static long parseNumber(final String text)
    {
        if (!isNumber(text))
        {
            return NOT_A_NUMBER;
        }
        final boolean negative = text.startsWith("-");
        final String digits = negative ? text.substring(1) : text;
        final boolean hex = digits.length() > 1 && ('x' == digits.charAt(1) || 'X' == digits.charAt(1));
        try
        {
            final long magnitude = hex ? Long.parseLong(digits.substring(2), 16) : Long.parseLong(digits);
            return negative ? -magnitude : magnitude;
        }
        catch (final NumberFormatException ex)
        {
            return negative ? TOO_SMALL : TOO_BIG;
        }
    }

    /**
     * @param node a node.
     * @return true for a key given no value ({@code key:}), {@code ~} or {@code null}, but not {@code "null"}.
     */
    public static boolean isNull(final Node node)
    {
        return node instanceof ScalarNode scalar && Tag.NULL.equals(scalar.getTag()) && scalar.isPlain();
    }

    /**
     * @param scalar a scalar.
     * @return true if YAML read an unquoted {@code !name} as a tag, not as text: the value needs quotes.
     */
    public static boolean isTagged(final ScalarNode scalar)
    {
        return !SCALAR_TAGS.contains(scalar.getTag());
    }

    /**
     * @param node a node.
     * @return what it is, for messages: {@code a mapping}, {@code a list}, {@code nothing} or the value in quotes.
     */
    public static String kind(final Node node)
    {
        if (node instanceof MappingNode)
        {
            return "a mapping";
        }
        if (node instanceof SequenceNode)
        {
            return "a list";
        }
        if (isNull(node))
        {
            return "nothing";
        }

        return "'" + ((ScalarNode)node).getValue() + "'";
    }

    /**
     * @param node a node.
     * @return its 1-based line, or 0 if it has none.
     */
    public static int line(final Node node)
    {
        return node.getStartMark().map((mark) -> mark.getLine() + 1).orElse(0);
    }

    private static int lineOfCodePoint(final String text, final int codePointIndex)
    {
        int line = 1;
        int codePoints = 0;
        for (int i = 0; i < text.length() && codePoints < codePointIndex; i += Character.charCount(text.codePointAt(i)))
        {
            if ('\n' == text.charAt(i))
            {
                line++;
            }
            codePoints++;
        }

        return line;
    }
}
