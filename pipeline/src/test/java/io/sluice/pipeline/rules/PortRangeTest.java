package io.sluice.pipeline.rules;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortRangeTest
{
    @Test
    void shouldSpellAPortRangeAsTheRulesFileDoesAndHoldItsBoundsInclusive()
    {
        assertEquals("443", new PortRange(443, 443).toString());
        assertEquals("1024-65535", new PortRange(1024, 65535).toString());
        assertEquals("0-65535", PortRange.ALL.toString());
        assertTrue(new PortRange(1024, 2048).contains(1024));
        assertTrue(new PortRange(1024, 2048).contains(2048));
        assertFalse(new PortRange(1024, 2048).contains(1023));
        assertFalse(new PortRange(1024, 2048).contains(2049));
    }
}
