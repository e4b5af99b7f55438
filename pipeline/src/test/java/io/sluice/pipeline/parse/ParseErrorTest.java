package io.sluice.pipeline.parse;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParseErrorTest
{
    @Test
    void shouldNumberIdsFromZeroWithNoneFirst()
    {
        assertEquals(0, ParseError.NONE.id());
        assertEquals(ParseError.values().length, ParseError.count());
        for (int id = 0; id < ParseError.count(); id++)
        {
            assertEquals(id, ParseError.get(id).id());
        }
    }

    @Test
    void shouldLookUpEveryReasonById()
    {
        for (final ParseError error : ParseError.values())
        {
            assertSame(error, ParseError.get(error.id()));
        }
    }

    @Test
    void shouldRejectUnknownIds()
    {
        assertThrows(IllegalArgumentException.class, () -> ParseError.get(-1));
        assertThrows(IllegalArgumentException.class, () -> ParseError.get(ParseError.count()));
    }

    @Test
    void shouldLabelEachReasonUniquelyInSnakeCaseAndDescribeIt()
    {
        final Set<String> labels = new HashSet<>();
        for (final ParseError error : ParseError.values())
        {
            assertTrue(error.key().matches("[a-z][a-z0-9]*(_[a-z0-9]+)*"), error.key());
            assertEquals(error.name().toLowerCase(Locale.ROOT), error.key());
            assertTrue(labels.add(error.key()), "duplicate key " + error.key());
            assertFalse(error.description().isBlank());
        }
    }
}
