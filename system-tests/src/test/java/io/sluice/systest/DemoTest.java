package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /**
     * {@code ./sluice demo --attack}: the flood is blocked in XDP, live; the steered flow's source never is; the
     * block expires after its TTL and the attacker's trickle is reflected again; the accounting balances with the
     * block's drops in it.
     */
    @Test
    void shouldBlockTheAttackLiveAndUnblockItAfterItsTtl() throws Exception
    {
        Privileged.require("./sluice demo --attack");
        try (SluiceProcess process = SluiceProcess.start(null, "demo", "--attack", "--seconds", "10"))
        {
            assertEquals(0, process.waitFor(180), process::output);
            final String output = process.output();
            assertTrue(process.line("        block_if: {pps: 100000, window_ms: 1000, ttl_s: 4}").length() > 0, output);
            final List<String> blocked = process.lines().stream().filter((l) -> l.startsWith("sluice demo: blocked "))
                .toList();
            assertEquals(1, blocked.size(), output);
            assertTrue(blocked.get(0).startsWith("sluice demo: blocked 10.216.0.66/32 for 4 s: rule " +
                "reflect-demo-flow saw "), output);
            assertTrue(process.line("sluice demo: unblocked 10.216.0.66/32: its TTL ended; it dropped ")
                .length() > 0, output);
            final Matcher attack = Pattern.compile("^  attack: +10\\.216\\.0\\.66 sent a flood of ([0-9,]+) frames" +
                "(?: \\(([0-9,]+) more refused by the test host's veth\\))?, " +
                "blocked in XDP ([0-9.]+) ms after it began; its block dropped ([0-9,]+), the other ([0-9,]+) came before it; " +
                "1 block\\(s\\) added, 1 expired; after the expiry 1,000 more below the rate, reflected again$")
                .matcher(process.line("  attack:"));
            assertTrue(attack.matches(), output);
            final long flood = number(attack.group(1));
            assertEquals(500_000, flood + (null == attack.group(2) ? 0 : number(attack.group(2))), output);
            assertTrue(number(attack.group(4)) > 0, output);
            assertEquals(flood, number(attack.group(4)) + number(attack.group(5)), output);
            assertEquals(number(attack.group(4)), process.row("      by blocks"), output);
            assertTrue(process.line("  accounting: balanced").length() > 0, output);
            assertTrue(process.line("sluice demo: ok: every packet accounted for").length() > 0, output);
        }
    }

    private static long number(final String text)
    {
        return Long.parseLong(text.replace(",", ""));
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
