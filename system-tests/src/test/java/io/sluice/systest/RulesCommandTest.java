package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.pipeline.rules.RulesFormatter;
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
 * {@code ./sluice rules show} on a running {@code ./sluice run}, from another process and namespace: the running
 * rules as a rules file that reads back into the same rules, each line ending in its exact count.
 */
class RulesCommandTest
{
    private static final String GEN_ADDR = "10.227.0.1";
    private static final String DUT_ADDR = "10.227.0.2";
    private static final String OTHER = "198.51.100.7";
    private static final String RULES = """
        steer:
          - {name: udp-9, proto: udp, dst_port: 9}
          - {name: drop-7, proto: udp, dst_port: 7, action: drop}
        filter:
          - {name: from-gen, proto: udp, src: 10.227.0.1, dst_port: 9, action: count}
          - {name: other-9, proto: udp, dst_port: 9, action: drop}
        default: drop
        """;

    @TempDir
    Path dir;

    @Test
    void shouldShowTheRunningRulesAsAFileThatReadsBackWithEachRulesExactCount() throws Exception
    {
        Privileged.require("./sluice run and ./sluice rules in network namespaces");
        final String instance = "rls-" + ProcessHandle.current().pid();
        final Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RULES);
        try (TestHosts hosts = new TestHosts("rcmd", "rcm0", GEN_ADDR + "/24", "rcm1", DUT_ADDR + "/24");
            SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                rules.toString(), "--instance", instance, "--quiet"))
        {
            assertTrue(run.await("sluice: blocks: ", 120), run::output);
            assertEquals(300, send(hosts, GEN_ADDR, 9, 300));
            assertEquals(100, send(hosts, OTHER, 9, 100));
            assertEquals(50, send(hosts, GEN_ADDR, 7, 50));

            List<String> shown = rules(0, "show", "--instance", instance);
            final long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (!shown.contains("  - {name: other-9, proto: udp, dst_port: 9, action: drop}  # hits 100") &&
                System.nanoTime() < deadlineNs)
            {
                Thread.sleep(100);
                shown = rules(0, "show", "--instance", instance);
            }

            assertEquals(List.of(
                "# " + rules + " as instance " + instance + " runs it; counts since it started",
                "steer:",
                "  - {name: udp-9, proto: udp, dst_port: 9, action: steer}  # matched 400",
                "  - {name: drop-7, proto: udp, dst_port: 7, action: drop}  # matched 50",
                "steer_all: false",
                "filter:",
                "  - {name: from-gen, proto: udp, src: 10.227.0.1/32, dst_port: 9, action: count}  # hits 300",
                "  - {name: other-9, proto: udp, dst_port: 9, action: drop}  # hits 100",
                "default: drop  # hits 0",
                "blocking: {ttl_s: 60, max_blocks: 1024, track: 65536, allow: []}"), shown);
            assertEquals(RulesFormatter.format(RulesFile.load(rules)),
                RulesFormatter.format(RulesFile.parse("shown.yaml", String.join("\n", shown))),
                "what rules show prints reads back as the same rules");

            assertEquals(List.of("sluice rules: unknown action 'frobnicate': show, reload"),
                rules(2, "frobnicate", "--instance", instance));
            assertEquals(List.of("sluice rules: instance nosuch-" + instance + " is not running (" +
                CountersFile.fileOf("nosuch-" + instance).resolveSibling("control.sock") + ": no such socket); " +
                "start it with ./sluice run"), rules(1, "show", "--instance", "nosuch-" + instance));

            run.signal("TERM");
            assertEquals(0, run.waitFor(30), run::output);
            assertEquals(300, run.row("      count"), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        }
        finally
        {
            CountersFile.remove(instance);
        }
    }

    private static List<String> rules(final int exitCode, final String... args) throws Exception
    {
        return SluiceCommand.lines(exitCode, "rules", args);
    }

    private static long send(final TestHosts hosts, final String source, final int port, final long frames)
        throws Exception
    {
        return Traffic.send(hosts, source, DUT_ADDR, port, frames, 10_000);
    }
}
