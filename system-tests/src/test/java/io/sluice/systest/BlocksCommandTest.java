package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator's blocks on a running {@code ./sluice run}, from {@code ./sluice blocks} in another process and
 * namespace: add, list with what each dropped in XDP, remove, and every mistake in one line.
 */
class BlocksCommandTest
{
    private static final String GEN_ADDR = "10.226.0.1";
    private static final String DUT_ADDR = "10.226.0.2";
    private static final String ATTACKER = "198.51.100.7";

    @TempDir
    Path dir;

    @Test
    void shouldAddListAndRemoveBlocksOfARunningInstance() throws Exception
    {
        Privileged.require("./sluice run and ./sluice blocks in network namespaces");
        final String instance = "blk-" + ProcessHandle.current().pid();
        final Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RunCommandTest.RULES + "blocking:\n  allow: [10.226.0.0/24]\n");
        try (TestHosts hosts = new TestHosts("bcmd", "bcm0", GEN_ADDR + "/24", "bcm1", DUT_ADDR + "/24");
            SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                rules.toString(), "--instance", instance, "--quiet"))
        {
            assertTrue(run.await("sluice: blocks: ", 120), run::output);
            assertEquals("sluice: blocks: no block_if rules, at most 1024, 1 allowlisted prefixes; ./sluice blocks " +
                "--instance " + instance, run.line("sluice: blocks: "));

            assertEquals(List.of("0 blocks (cap 1024), added 0 by the detector and 0 by operators, 0 expired, 0 " +
                "removed, 0 skipped at the cap, 0 allowlisted"), blocks(0, "--instance", instance));
            assertEquals(List.of("blocked 198.51.100.0/24 for 600 s"),
                blocks(0, "add", "198.51.100.0/24", "--ttl", "600", "--instance", instance));
            assertEquals(List.of("blocked 2001:db8::/32 until removed"),
                blocks(0, "add", "2001:db8::/32", "--instance", instance));
            assertTrue(run.await("sluice: blocked 198.51.100.0/24 for 600 s (by an operator)", 10), run::output);

            assertEquals(300, send(hosts, ATTACKER, 300));
            assertEquals(200, send(hosts, GEN_ADDR, 200));
            final List<String> listed = blocks(0, "list", "--instance", instance);
            assertEquals(4, listed.size(), listed::toString);
            assertEquals("2 blocks (cap 1024), added 0 by the detector and 2 by operators, 0 expired, 0 removed, 0 " +
                "skipped at the cap, 0 allowlisted", listed.get(0));
            assertEquals(List.of("PREFIX", "ORIGIN", "RULE", "REMAINING", "DROPPED_PACKETS", "DROPPED_BYTES"),
                List.of(listed.get(1).trim().split("\\s+")));
            final String[] v4 = listed.get(2).trim().split("\\s+");
            assertEquals(List.of("198.51.100.0/24", "manual", "-"), List.of(v4[0], v4[1], v4[2]));
            final double remaining = Double.parseDouble(v4[3]);
            assertTrue(remaining > 500 && remaining <= 600, listed.get(2));
            final int frameBytes = hosts.udpToDut(ATTACKER, DUT_ADDR, 4000, 9, 22).length;
            assertEquals(List.of("s", "300", Integer.toString(300 * frameBytes)), List.of(v4[4], v4[5], v4[6]));
            assertEquals(List.of("2001:db8::/32", "manual", "-", "never", "0", "0"),
                List.of(listed.get(3).trim().split("\\s+")));

            // the counters file carries each block's drops while it lasts
            try (SluiceProcess stats = SluiceProcess.start(null, "stats", "--instance", instance))
            {
                assertEquals(0, stats.waitFor(120), stats::output);
                assertTrue(stats.lines().stream().anyMatch((line) -> line.matches(
                    "sluice_block_dropped_packets_total\\{iface=\"bcm1\",prefix=\"198\\.51\\.100\\.0/24\"," +
                    "origin=\"manual\",rule=\"-\"} +300")), stats::output);
            }

            assertEquals(List.of("unblocked 198.51.100.0/24: it dropped 300 packets in XDP"),
                blocks(0, "remove", "198.51.100.0/24", "--instance", instance));
            assertEquals(100, send(hosts, ATTACKER, 100));

            // mistakes, each one line
            assertEquals(List.of("sluice blocks: 198.51.100.0/24 is not blocked (1 blocks: see ./sluice blocks)"),
                blocks(1, "remove", "198.51.100.0/24", "--instance", instance));
            assertEquals(List.of("sluice blocks: 10.226.0.9/32 is on the allowlist (10.226.0.0/24): it is never " +
                "blocked"), blocks(1, "add", "10.226.0.9", "--instance", instance));
            assertEquals(List.of("sluice blocks: add 10.0.0.300: not an IPv4 or IPv6 address: '10.0.0.300'"),
                blocks(2, "add", "10.0.0.300", "--instance", instance));
            assertEquals(List.of("sluice blocks: --ttl is for add"),
                blocks(2, "remove", "2001:db8::/32", "--ttl", "5", "--instance", instance));
            assertEquals(List.of("sluice blocks: unknown action 'drop': list, add PREFIX, remove PREFIX"),
                blocks(2, "drop", "--instance", instance));
            assertEquals(List.of("sluice blocks: instance nosuch-" + instance + " is not running (" +
                CountersFile.fileOf("nosuch-" + instance).resolveSibling("control.sock") + ": no such socket); " +
                "start it with ./sluice run"), blocks(1, "--instance", "nosuch-" + instance));

            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);
            assertEquals("blocks: added 0 by the detector and 2 by operators, 0 expired, 1 removed, 0 skipped at " +
                "the cap, 0 skipped as allowlisted; 1 in place at the stop", run.line("blocks: "));
            assertEquals(300, run.row("    by blocks"), run::output);
            assertEquals(300, run.row("  dropped in XDP"), run::output);
            assertEquals(300, run.row("      count"), "the legitimate frames and the attacker's after the block");
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertTrue(!Files.exists(CountersFile.fileOf(instance).resolveSibling("control.sock")),
                "the socket goes with the instance");
        }
        finally
        {
            CountersFile.remove(instance);
        }
    }

    private static List<String> blocks(final int exitCode, final String... args) throws Exception
    {
        return SluiceCommand.lines(exitCode, "blocks", args);
    }

    private static long send(final TestHosts hosts, final String source, final long frames) throws Exception
    {
        return Traffic.send(hosts, source, DUT_ADDR, frames, 10_000);
    }
}
