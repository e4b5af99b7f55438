package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice run} when things go wrong around it, on veth in test namespaces: killed, its interface deleted,
 * its link bounced, its program removed by another tool, starved of CPU, given tiny rings, stopped under load.
 * Where packets flow the accounting is exact.
 */
class FaultsTest
{
    private static final String GEN = "10.227.0.1";
    private static final String DUT = "10.227.0.2";

    @TempDir
    Path dir;

    private TestHosts hosts;
    private Path rules;
    private String instance;

    @BeforeEach
    void setUp() throws Exception
    {
        Privileged.require("faults around ./sluice run in network namespaces");
        hosts = new TestHosts("flt", "flt0", GEN + "/24", "flt1", DUT + "/24");
        // GRO gives the DUT's veth NAPI without an XDP program, so frames reach its stack once Sluice's is gone
        TestHosts.run("ip", "netns", "exec", hosts.dutNs(), "ethtool", "-K", hosts.dutIf(), "gro", "on");
        rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RunCommandTest.RULES);
        instance = "flt-" + ProcessHandle.current().pid();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (null != hosts)
        {
            hosts.close();
        }
        CountersFile.remove(instance);
    }

    @Test
    void shouldLeaveNoProgramAttachedWhenKilledAndAttachCleanlyOnRestart() throws Exception
    {
        try (SluiceProcess run = start())
        {
            final CompletableFuture<Long> sending = sendAsync(200_000, 50_000);
            Thread.sleep(1000);
            run.signal("KILL");
            assertEquals(137, run.waitFor(30), run::output);
            sending.get(60, TimeUnit.SECONDS);
        }

        // the BPF link went with the process: the interface has no program, and its own stack gets the traffic
        assertTrue(TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", hosts.dutIf()).indexOf("xdp") < 0,
            "no XDP program left after kill -9");
        final long before = rxPackets();
        assertEquals(1000, Traffic.send(hosts, GEN, DUT, 1000, 10_000));
        assertEquals(before + 1000, awaitRxPackets(before + 1000), "every frame reached the kernel stack");

        try (SluiceProcess again = start())
        {
            assertTrue(again.output().contains("attached to " + hosts.dutIf()), again::output);
            assertEquals(5000, Traffic.send(hosts, GEN, DUT, 5000, 10_000));
            Thread.sleep(1000);
            again.signal("TERM");
            assertEquals(0, again.waitFor(30), again::output);
            assertEquals(5000, RunCommandTest.count(again, "offered to XDP"), again::output);
            assertTrue(again.line("accounting: balanced").length() > 0, again::output);
        }
    }

    @Test
    void shouldStopWithItsAccountingWhenTheInterfaceIsDeleted() throws Exception
    {
        try (SluiceProcess run = start())
        {
            assertEquals(2000, Traffic.send(hosts, GEN, DUT, 2000, 10_000));
            Thread.sleep(500);
            final long deletedNs = System.nanoTime();
            TestHosts.run("ip", "-n", hosts.dutNs(), "link", "del", hosts.dutIf());

            assertEquals(4, run.waitFor(30), run::output);
            assertTrue(System.nanoTime() - deletedNs < TimeUnit.SECONDS.toNanos(10), "stopped in bounded time");
            assertEquals("sluice run: flt1 is gone (deleted, or moved out of this network namespace); stopping",
                run.line("sluice run: "));
            assertEquals(2000, RunCommandTest.count(run, "offered to XDP"), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        }
    }

    @Test
    void shouldCountALinkBounceAndReceiveAgainAfterIt() throws Exception
    {
        try (SluiceProcess run = start())
        {
            TestHosts.run("ip", "-n", hosts.dutNs(), "link", "set", hosts.dutIf(), "down");
            assertTrue(run.await("sluice: flt1 link down", 10), run::output);
            TestHosts.run("ip", "-n", hosts.dutNs(), "link", "set", hosts.dutIf(), "up");
            assertTrue(run.await("sluice: flt1 link up again", 10), run::output);
            Thread.sleep(500);
            assertEquals(3000, Traffic.send(hosts, GEN, DUT, 3000, 10_000));
            Thread.sleep(1000);
            try (CountersView view = CountersView.open(CountersFile.fileOf(instance)))
            {
                assertEquals(1L, view.sums().get("sluice_link_down_total"));
                assertEquals(1L, view.sums().get("sluice_link_up"));
            }
            run.signal("TERM");

            assertEquals(0, run.waitFor(30), run::output);
            final long received = RunCommandTest.count(run, "    received by Sluice");
            assertEquals(3000, RunCommandTest.count(run, "offered to XDP"), run::output);
            assertEquals(3000, received + RunCommandTest.count(run, "    dropped by the kernel"), run::output);
            assertTrue(received > 0, run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        }
    }

    @Test
    void shouldRefuseAnotherToolsReplacementAndReportARemovalOfItsProgram() throws Exception
    {
        try (SluiceProcess run = start())
        {
            // a BPF link protects the attachment: netlink may not replace it
            final ProcessBuilder replace = new ProcessBuilder("ip", "-n", hosts.dutNs(), "link", "set", "dev",
                hosts.dutIf(), "xdp", "off").redirectErrorStream(true);
            final Process tool = replace.start();
            final String said = new String(tool.getInputStream().readAllBytes()).strip();
            assertEquals(2, tool.waitFor(), said);
            assertEquals("Error: Can't replace active BPF XDP link.", said);
            assertEquals(1000, Traffic.send(hosts, GEN, DUT, 1000, 10_000));

            // a link can still be detached by id (bpftool link detach): Sluice notices
            final long removedNs = System.nanoTime();
            TestHosts.run("bpftool", "link", "detach", "id", linkId());
            assertEquals(4, run.waitFor(30), run::output);
            assertTrue(System.nanoTime() - removedNs < TimeUnit.SECONDS.toNanos(10), "reported in bounded time");
            assertTrue(run.line("sluice run: ").startsWith("sluice run: the XDP program on flt1 is no longer " +
                "Sluice's: another tool replaced or removed it"), run::output);
            assertEquals(1000, RunCommandTest.count(run, "offered to XDP"), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        }
    }

    @Test
    void shouldCountWhatAStarvedConsumerLosesAndStillAddUp() throws Exception
    {
        // Sluice on the generator's CPU, which the generator keeps busy: the kernel drops what Sluice cannot take
        final int frames = 300_000;
        try (SluiceProcess run = start("--cores", "0", "--idle", "yield"))
        {
            assertEquals(frames, Traffic.send(hosts, GEN, DUT, frames, 0));
            Thread.sleep(1500);
            run.signal("TERM");
            assertEquals(0, run.waitFor(60), run::output);
            final long received = RunCommandTest.count(run, "    received by Sluice");
            final long dropped = RunCommandTest.count(run, "    dropped by the kernel");
            assertEquals(frames, RunCommandTest.count(run, "offered to XDP"), run::output);
            assertEquals(frames, received + dropped, run::output);
            assertTrue(dropped > 0, "a starved consumer loses frames, counted: " + run.output());
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        }
    }

    @Test
    void shouldHoldBackTheReceiverWhenTheActStageIsSlowAndStillAddUp() throws Exception
    {
        // dedicated threads, the handler (parse, filter, act) alone on the generator's busy CPU: the pipeline's ring
        // fills, the receiver holds back (rx_backpressure), the kernel drops what then finds no room; memory stays
        // bounded by the rings. The pipeline's ring is small (256 slots), so the handler need fall behind only a
        // little: a generator in live-frame mode sends the 300,000 frames in about 60 ms, and the veth profile's RX
        // ring (8,192) alone holds more than the default pipeline ring (4,096)
        final int frames = 300_000;
        try (SluiceProcess run = start("--threading", "dedicated", "--cores", "1,0,1", "--idle", "yield",
            "--ring-size", "256"))
        {
            assertEquals(frames, Traffic.send(hosts, GEN, DUT, frames, 0));
            Thread.sleep(1500);
            final long backpressure;
            try (CountersView view = CountersView.open(CountersFile.fileOf(instance)))
            {
                backpressure = view.sums().get("sluice_pipeline_rx_backpressure_total");
            }
            run.signal("TERM");
            assertEquals(0, run.waitFor(60), run::output);
            final long received = RunCommandTest.count(run, "    received by Sluice");
            final long dropped = RunCommandTest.count(run, "    dropped by the kernel");
            assertEquals(frames, received + dropped, run::output);
            assertTrue(backpressure > 0, "the receiver held back for the slow handler: " + backpressure);
            assertTrue(dropped > 0, "what found no room was dropped by the kernel, counted: " + run.output());
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        }
    }

    @Test
    void shouldConserveFramesWithTinyRingsThatStarveAndFill() throws Exception
    {
        final Path tiny = dir.resolve("tiny.yaml");
        Files.writeString(tiny, """
            extends: veth
            rings: {rx: 64, tx: 64, fill: 64, completion: 64}
            """);
        Files.writeString(rules, RunCommandTest.RULES.replace("action: count", "action: reflect"));
        final int frames = 100_000;
        try (SluiceProcess run = start("--profile", tiny.toString()))
        {
            assertEquals(frames, Traffic.send(hosts, GEN, DUT, frames, 0));
            Thread.sleep(1500);
            run.signal("TERM");
            assertEquals(0, run.waitFor(60), run::output);
            final long received = RunCommandTest.count(run, "    received by Sluice");
            assertEquals(frames, received + RunCommandTest.count(run, "    dropped by the kernel"), run::output);
            assertTrue(RunCommandTest.count(run, "      fill ring empty") > 0, "the fill ring starved: " +
                run.output());
            assertEquals(received, RunCommandTest.count(run, "      reflect") +
                RunCommandTest.count(run, "      tx_ring_full_drop"), run::output);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertTrue(run.line("UMEM frames: ").contains("application=0 tx=0"), "every frame home: " +
                run.line("UMEM frames: "));
        }
    }

    @Test
    void shouldDrainAndAddUpWhenStoppedUnderLoad() throws Exception
    {
        try (SluiceProcess run = start())
        {
            final CompletableFuture<Long> sending = sendAsync(2_000_000, 0);
            Thread.sleep(1500);
            run.signal("TERM");
            assertEquals(0, run.waitFor(60), run::output);
            sending.get(120, TimeUnit.SECONDS);
            assertTrue(run.line("accounting: balanced").length() > 0, run::output);
            assertTrue(RunCommandTest.count(run, "offered to XDP") > 0, run::output);
            assertEquals(0, RunCommandTest.count(run, "    left in RX rings"), run::output);
        }
    }

    private SluiceProcess start(final String... extra) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("run", "--iface",
            hosts.dutIf(), "--rules", rules.toString(), "--instance", instance, "--quiet"));
        args.addAll(List.of(extra));
        final SluiceProcess run = SluiceProcess.start(hosts.dutNs(), args.toArray(new String[0]));
        assertTrue(run.await("sluice: counters in ", 120), run::output);
        return run;
    }

    private CompletableFuture<Long> sendAsync(final long frames, final long ratePps)
    {
        return CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return Traffic.send(hosts, GEN, DUT, frames, ratePps);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
    }

    private long rxPackets()
    {
        return Long.parseLong(TestHosts.run("ip", "netns", "exec", hosts.dutNs(), "cat",
            "/sys/class/net/" + hosts.dutIf() + "/statistics/rx_packets").strip());
    }

    private long awaitRxPackets(final long expected) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long now = rxPackets();
        while (now < expected && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(50);
            now = rxPackets();
        }

        return now;
    }

    /**
     * @return the id of the BPF link holding Sluice's program on the DUT interface, found by the program's id.
     */
    private String linkId()
    {
        final String shown = TestHosts.run("ip", "-n", hosts.dutNs(), "link", "show", "dev", hosts.dutIf());
        final Matcher prog = Pattern.compile("prog/xdp id ([0-9]+)").matcher(shown);
        assertTrue(prog.find(), shown);
        final String links = TestHosts.run("bpftool", "link", "show");
        final Matcher link = Pattern.compile("(?m)^([0-9]+): xdp +prog " +
            prog.group(1) + "\\b").matcher(links);
        assertTrue(link.find(), "no XDP link for program " + prog.group(1) + ":\n" + links);

        return link.group(1);
    }
}
