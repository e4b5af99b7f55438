package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice run} as an operator runs it: in the interface's namespace, with a rules file and the veth profile
 * (shared mode, pinned to CPU 1); a status
 * line each second; on SIGTERM it drains, detaches and prints an accounting table that adds up, and exits 0.
 */
class RunCommandTest
{
    /**
     * Steer UDP to port 9 and count it: the rules the run tests share.
     */
    static final String RULES = """
        steer:
          - {name: udp-9, proto: udp, dst_port: 9, action: steer}
        filter:
          - {name: count-9, proto: udp, dst_port: 9, action: count}
        default: drop
        """;

    private static final Path VETH_PROFILE = SluiceProcess.sluiceHome().resolve("nic-profiles/veth.yaml");

    @Test
    void shouldCountEveryFrameAndPrintABalancedTableOnSigterm() throws Exception
    {
        Privileged.require("./sluice run in a network namespace");
        final int frames = 50_000;
        final Path rules = Files.createTempFile("sluice-run", ".yaml");
        Files.writeString(rules, RULES);
        try (TestHosts hosts = new TestHosts("run", "rct0", "10.221.0.1/24", "rct1", "10.221.0.2/24");
            SluiceProcess process = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                rules.toString()))
        {
            assertTrue(process.await("sluice: running on rct1", 120), process::output);
            // no --profile: the shipped profile for the interface's driver, and the choice logged
            assertEquals("sluice: profile " + VETH_PROFILE + ": rct1's driver is veth (ETHTOOL_GDRVINFO, as ethtool " +
                "-i rct1 shows)", process.line("sluice: profile "));
            // no --instance: the interface names the counters file
            assertTrue(process.await("sluice: counters in ", 10), process::output);
            assertEquals("sluice: counters in " + CountersFile.fileOf("rct1") + " (./sluice stats --instance rct1)",
                process.line("sluice: counters in "));
            final String running = process.line("sluice: running on rct1");
            assertTrue(running.contains("pipeline shared core=1 idle=backoff, profile " + VETH_PROFILE), running);
            assertEquals(frames, Traffic.send(hosts, "10.221.0.1", "10.221.0.2", frames, 50_000));
            Thread.sleep(1500);

            process.signal("TERM");
            assertEquals(0, process.waitFor(30), process::output);
            final String output = process.output();
            assertTrue(process.lines().stream().anyMatch((l) -> l.matches("^ +[0-9.]+s +in +[0-9.]+ Mpps +out .*")),
                output);
            assertTrue(process.line("accounting: balanced").length() > 0, output);
            // a cold JIT may lose part of the first burst at the RX ring: the kernel counts it, and so does the table
            final long received = count(process, "    received by Sluice");
            assertEquals(frames, count(process, "  steered to AF_XDP"), output);
            assertEquals(frames, received + count(process, "    dropped by the kernel"), output);
            assertTrue(received > frames / 2, output);
            assertEquals(received, count(process, "      count"), output);
            assertEquals(received, count(process, "  count-9"), output);
            assertTrue(TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", hosts.dutIf()).indexOf("xdp") < 0,
                "detached on exit");
        }
        finally
        {
            Files.deleteIfExists(rules);
            // the counters file of the default instance, the interface's name, stays after a run: remove it
            CountersFile.remove("rct1");
        }
    }

    @Test
    void shouldNameTheFileLineAndProblemOfABadRulesFile() throws Exception
    {
        Privileged.require("./sluice run");
        final Path rules = Files.createTempFile("sluice-run-bad", ".yaml");
        Files.writeString(rules, "filter:\n  - name: x\n    action: reflct\n");
        try (SluiceProcess process = SluiceProcess.start(null, "run", "--iface", "lo", "--rules", rules.toString()))
        {
            assertEquals(2, process.waitFor(120), process::output);
            final String error = process.line("sluice run: ");
            assertTrue(error.startsWith("sluice run: " + rules + ":3: "), process::output);
            assertTrue(error.contains("reflct"), error);
        }
        finally
        {
            Files.deleteIfExists(rules);
        }
    }

    /**
     * @return the value of an accounting table's row, by its label as printed (indent included).
     */
    static long count(final SluiceProcess process, final String label)
    {
        return process.row(label);
    }
}
