package io.sluice.pipeline.rules;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ActionTest
{
    @Test
    void shouldNumberActionsFromZeroAndFindThemByIdAndLabel()
    {
        final String[] labels = { "drop", "count", "reflect", "forward", "mirror" };
        assertEquals(labels.length, Action.values().length);
        for (int id = 0; id < labels.length; id++)
        {
            final Action action = Action.get(id);
            assertEquals(id, action.id());
            assertEquals(labels[id], action.label());
            assertSame(action, Action.byLabel(labels[id]));
        }
        assertThrows(IllegalArgumentException.class, () -> Action.get(5));
        assertThrows(IllegalArgumentException.class, () -> Action.get(-1));
        assertNull(Action.byLabel("DROP"));
    }
}
