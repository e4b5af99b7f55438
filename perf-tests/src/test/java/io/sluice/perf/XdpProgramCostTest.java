package io.sluice.perf;

import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the benchmark runnable; it checks what the benchmark prints, never how fast anything was.
 */
class XdpProgramCostTest
{
    @Test
    void shouldPrintTheCommandAndOneFigurePerCase()
    {
        Privileged.require("BPF_PROG_TEST_RUN benchmark");
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int status;
        try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8))
        {
            System.setOut(out);
            status = new CommandLine(new XdpProgramCost()).execute("--rules", "64", "--repeat", "10", "--rounds", "1");
        }
        finally
        {
            System.setOut(original);
        }

        final String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(0, status);
        assertEquals("# ./sluice java io.sluice.perf.XdpProgramCost --rules 64 --repeat 10 --rounds 1", lines[0]);
        assertTrue(lines[1].startsWith("# 64 rules installed, 1 blocklisted prefix"), lines[1]);
        assertEquals(3 + 6, lines.length, String.join("\n", lines));
    }

    @Test
    void shouldRejectARuleCountTheClassifierCannotHold()
    {
        assertEquals(2, new CommandLine(new XdpProgramCost()).setErr(new java.io.PrintWriter(
            new ByteArrayOutputStream())).execute("--rules", "65"));
    }
}
