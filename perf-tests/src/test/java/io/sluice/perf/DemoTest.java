package io.sluice.perf;

import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice demo}, the README's main job, as a user runs it: it must exit 0 with every packet accounted for,
 * show the status line, the round-trip percentiles and the kernel socket's count, and leave nothing behind.
 */
class DemoTest
{
    @Test
    void shouldRunTheDemoAndBalanceItsAccounting() throws Exception
    {
        Privileged.require("./sluice demo");
        try (SluiceProcess process = SluiceProcess.start(null, "demo", "--seconds", "3"))
        {
            assertEquals(0, process.waitFor(180), process::output);
            final String output = process.output();
            assertTrue(process.line("sluice demo: ok: every packet accounted for").length() > 0, output);
            assertTrue(process.line("  accounting: balanced").length() > 0, output);
            assertTrue(process.lines().stream().anyMatch((l) -> l.matches("^ +[0-9.]+s +in +[0-9.]+ Mpps .*")), output);
            assertTrue(process.lines().stream().anyMatch((l) -> l.matches("^  round trip µs: +p50 [0-9.]+ .*")),
                output);
            assertTrue(process.line("  kernel flow:").matches(
                "^  kernel flow: +([0-9,]+) sent, ([0-9,]+) received .*"), output);
            assertTrue(process.line("  malformed:").startsWith("  malformed:      30 sent: 20 parse errors in " +
                "Sluice, 10 passed by XDP as malformed"), output);
            assertTrue(!TestHosts.run("ip", "netns", "list").contains("sluice-demo-"), "namespaces torn down");
        }
    }

    @Test
    void shouldTearDownOnCtrlC() throws Exception
    {
        Privileged.require("./sluice demo");
        try (SluiceProcess process = SluiceProcess.start(null, "demo", "--seconds", "60"))
        {
            assertTrue(process.await("sluice demo: sending", 120), process::output);
            final String namespace = "sluice-demo-" + process.pid() + "-";
            assertTrue(TestHosts.run("ip", "netns", "list").contains(namespace), "namespaces made");
            process.signal("INT");
            process.waitFor(30);
            assertTrue(!TestHosts.run("ip", "netns", "list").contains(namespace), "namespaces torn down on SIGINT");
        }
    }
}
