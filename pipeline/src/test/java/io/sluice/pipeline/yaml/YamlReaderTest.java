package io.sluice.pipeline.yaml;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class YamlReaderTest
{
    /**
     * A file kind of its own, to show the reader throws what the loader asks for.
     */
    static final class TestFileException extends ConfigFileException
    {
        private static final long serialVersionUID = 1L;

        TestFileException(final String source, final int line, final String problem)
        {
            super(source, line, problem);
        }
    }

    private final YamlReader reader = new YamlReader("t.yaml", TestFileException::new);

    @Test
    void shouldKeepEachValuesTextAndLine()
    {
        final List<String> allowed = List.of("a", "b", "c", "d");
        final MappingNode mapping = reader.composeMapping("a: off\nb: 0x800\nc: [1, 2]\nd:\n", allowed);
        final Map<String, NodeTuple> keys = reader.keys(mapping, "", allowed);

        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(keys.keySet()));
        assertEquals("off", reader.text(value(keys, "a"), "a", "text"));
        assertEquals(0x800, reader.number(value(keys, "b"), "b", 0, 4096, "a number"));
        assertEquals(2, reader.list(value(keys, "c"), "c", "a list").size());
        assertEquals(List.of(), reader.list(value(keys, "d"), "d", "a list"));
        assertEquals(2, YamlReader.line(value(keys, "b")));
        assertEquals("'off'", YamlReader.kind(value(keys, "a")));
        assertEquals("a list", YamlReader.kind(value(keys, "c")));
        assertEquals("nothing", YamlReader.kind(value(keys, "d")));
        assertEquals("a mapping", YamlReader.kind(mapping));
        assertTrue(YamlReader.isNull(value(keys, "d")));
        assertFalse(YamlReader.isTagged((ScalarNode)value(keys, "a")));
    }

    @Test
    void shouldReturnNullForAFileWithNoDocument()
    {
        assertNull(reader.compose("# only a comment\n"));
    }

    @Test
    void shouldThrowTheLoadersExceptionWithOneLine()
    {
        final ConfigFileException ex = assertThrows(ConfigFileException.class,
            () -> reader.compose("a: 1\nb: [1,\n"));

        assertInstanceOf(TestFileException.class, ex);
        assertTrue(ex.getMessage().startsWith("t.yaml:" + ex.line() + ": YAML: "), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"));
    }

    @Test
    void shouldRejectUnknownAndRepeatedKeysListingTheAllowedOnes()
    {
        final MappingNode mapping = reader.composeMapping("a: 1\nz: 2\n", List.of("a", "b"));
        final ConfigFileException unknown = assertThrows(TestFileException.class,
            () -> reader.keys(mapping, "section: ", List.of("a", "b")));
        assertEquals("t.yaml:2: section: unknown key 'z'; allowed keys are a, b", unknown.getMessage());

        final MappingNode twice = reader.composeMapping("a: 1\nb: 2\na: 3\n", List.of("a", "b"));
        final ConfigFileException repeated = assertThrows(TestFileException.class,
            () -> reader.keys(twice, "", List.of("a", "b")));
        assertEquals("t.yaml:3: key a appears twice (first at line 1)", repeated.getMessage());
    }

    @Test
    void shouldWordValueProblemsAfterTheField()
    {
        final Map<String, NodeTuple> keys = reader.keys(
            reader.composeMapping("n: 70000\nw: http\nb: yes\nt: !ack\nl: [1]\ne:\n", List.of()),
            "", List.of("n", "w", "b", "t", "l", "e"));

        assertEquals("t.yaml:1: rule 'a': port 70000 is not within 0-65535", assertThrows(TestFileException.class,
            () -> reader.number(value(keys, "n"), "rule 'a': port", 0, 65535, "a port")).getMessage());
        assertEquals("t.yaml:2: port 'http' is not a port", assertThrows(TestFileException.class,
            () -> reader.number(value(keys, "w"), "port", 0, 65535, "a port")).getMessage());
        assertEquals("t.yaml:3: flag 'yes' is not one of true, false", assertThrows(TestFileException.class,
            () -> reader.bool(value(keys, "b"), "flag")).getMessage());
        assertEquals("t.yaml:4: flags: YAML reads '!ack' as a tag; put the value in quotes",
            assertThrows(TestFileException.class, () -> reader.text(value(keys, "t"), "flags", "text")).getMessage());
        assertEquals("t.yaml:5: name must be a name, not a list", assertThrows(TestFileException.class,
            () -> reader.text(value(keys, "l"), "name", "a name")).getMessage());
        assertEquals("t.yaml:6: name has no value; expected a name", assertThrows(TestFileException.class,
            () -> reader.text(value(keys, "e"), "name", "a name")).getMessage());
    }

    @Test
    void shouldParseDecimalAndHexNumbersAndFlagOverflow()
    {
        assertEquals(9000, YamlReader.parseNumber("9000"));
        assertEquals(-3, YamlReader.parseNumber("-3"));
        assertEquals(0x88cc, YamlReader.parseNumber("0x88CC"));
        assertEquals(YamlReader.TOO_BIG, YamlReader.parseNumber("99999999999999999999"));
        assertEquals(YamlReader.TOO_SMALL, YamlReader.parseNumber("-99999999999999999999"));
        assertEquals(YamlReader.NOT_A_NUMBER, YamlReader.parseNumber("9k"));
        assertEquals(YamlReader.NOT_A_NUMBER, YamlReader.parseNumber(""));
        assertTrue(YamlReader.isNumber("0x10"));
        assertFalse(YamlReader.isNumber("1.5"));
    }

    @Test
    void shouldFormatWithoutALineWhenNoneApplies()
    {
        assertEquals("t.yaml: cannot read: no such file",
            new ConfigFileException("t.yaml", 0, "cannot read: no such file").getMessage());
        assertEquals("t.yaml:3: two lines", new ConfigFileException("t.yaml", 3, "two\n  lines\n").getMessage());
    }

    private static Node value(final Map<String, NodeTuple> keys, final String key)
    {
        return keys.get(key).getValueNode();
    }
}
