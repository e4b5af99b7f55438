package io.sluice.lab;

import io.sluice.perf.SluiceProcess;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.CountersView;
import io.sluice.xsk.testing.NetNs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static io.sluice.lab.LabGuest.GEN_IF;
import static io.sluice.lab.LabGuest.GEN_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./sluice run} as a user runs it on the lab's virtio_net or igb NIC, with the shipped profile for the driver
 * and {@code zero_copy: require}: the full pipeline reflecting each frame from the buffer it arrived in, killed with
 * SIGKILL and started again, and stopped with SIGTERM under load. Each run's accounting table is read back and
 * checked against what the generator offered and what its NIC received.
 * <p>
 * Open (issue 17), on both drivers: in zero-copy the pipeline's reflect stalls with exactly a TX ring (2,048
 * frames) sent and never completed, then counts the rest as {@code tx_ring_full_drop}; the receiver falls behind
 * ({@code RX ring full}). The same sockets' TX completes in {@link ZeroCopyTxTest}, so the cause is in how the
 * pipeline drives a socket that both receives and sends. lab/scenarios/tests.sh leaves the tag out until then.
 */
@Tag("lab")
@Tag("pipeline-open")
class ZeroCopyRunTest
{
    private static final String RULES = """
        steer:
          - {name: udp-9, proto: udp, dst_port: 9, action: steer}
        filter:
          - {name: reflect-9, proto: udp, dst_port: 9, action: reflect}
        default: drop
        """;
    private static final int FRAMES = 20_000;
    private static final int RATE_PPS = 10_000;

    @TempDir
    Path dir;

    private String driver;
    private String instance;
    private Path rules;
    private Path profile;

    @BeforeEach
    void setUp() throws Exception
    {
        driver = LabGuest.require();
        instance = "zcrun-" + ProcessHandle.current().pid();
        rules = dir.resolve("rules.yaml");
        Files.writeString(rules, RULES);
        // the shipped profile, with zero-copy made a must and a socket on each of the NIC's queues as they are
        profile = dir.resolve("lab.yaml");
        Files.writeString(profile, "extends: " + driver + "\nqueues: all\nchannels: leave\nzero_copy: require\n");
    }

    @AfterEach
    void tearDown()
    {
        CountersFile.remove(instance);
    }

    @Test
    void shouldReflectEveryFrameThroughTheFullPipelineInZeroCopy() throws Exception
    {
        final long genBefore = LabGuest.statistic(GEN_NS, GEN_IF, "rx_packets");
        try (SluiceProcess run = start())
        {
            assertEquals(FRAMES, LabGuest.offer(FRAMES, RATE_PPS));
            final long received = awaitReceived(FRAMES);
            run.signal("TERM");
            assertEquals(0, run.waitFor(60), run::output);

            assertEquals(FRAMES, run.row("offered to XDP"), run::output);
            assertEquals(FRAMES, run.row("  steered to AF_XDP"), run::output);
            assertEquals(FRAMES, run.row("    received by Sluice"), "every frame received: " + received + "\n" +
                run.output());
            assertEquals(0, run.row("    dropped by the kernel"), run::output);
            final long reflected = run.row("      reflect");
            assertEquals(FRAMES, reflected + run.row("      tx_ring_full_drop"), run::output);
            assertEquals(reflected, LabGuest.await(
                () -> LabGuest.statistic(GEN_NS, GEN_IF, "rx_packets") - genBefore, reflected),
                "every reflected frame came back to the generator");
            assertBalanced(run);
        }
    }

    @Test
    void shouldLeaveNoProgramWhenKilledAndBindInZeroCopyAgainOnRestart() throws Exception
    {
        try (SluiceProcess run = start())
        {
            assertEquals(2_000, LabGuest.offer(2_000, RATE_PPS));
            run.signal("KILL");
            assertEquals(137, run.waitFor(30), run::output);
        }

        // The sockets went with the process and the driver has its queues back: the kernel's stack receives. The
        // program went too where it was on a BPF link; libxdp's dispatcher, attached through netlink, outlives the
        // process by design, and its Sluice program, with no socket in its map, passes each frame to the stack.
        DutSockets.awaitCarrier(DUT_IF);
        final long stackBefore = udpNoPorts();
        assertEquals(1_000, LabGuest.offer(1_000, RATE_PPS));
        assertEquals(1_000, LabGuest.await(() -> udpNoPorts() - stackBefore, 1_000),
            "every frame reached the kernel's UDP (no listener on port 9)");

        try (SluiceProcess again = start())
        {
            assertEquals(FRAMES, LabGuest.offer(FRAMES, RATE_PPS));
            awaitReceived(FRAMES);
            again.signal("TERM");
            assertEquals(0, again.waitFor(60), again::output);
            assertEquals(FRAMES, again.row("offered to XDP"), again::output);
            assertEquals(FRAMES, again.row("    received by Sluice"), again::output);
            assertBalanced(again);
        }
    }

    @Test
    void shouldDrainAndAddUpWhenStoppedWithSigtermUnderLoad() throws Exception
    {
        final long nicBefore = LabGuest.statistic(null, DUT_IF, "rx_packets");
        final long stackBefore = udpNoPorts();
        final long offeredToXdp;
        try (SluiceProcess run = start())
        {
            final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(
                () -> LabGuest.offer(FRAMES, RATE_PPS));
            awaitReceived(FRAMES / 4);
            run.signal("TERM");
            assertEquals(0, run.waitFor(60), run::output);
            assertEquals(FRAMES, offered.get(60, TimeUnit.SECONDS));

            offeredToXdp = run.row("offered to XDP");
            assertTrue(offeredToXdp >= FRAMES / 4, "stopped after a quarter: " + offeredToXdp);
            assertEquals(0, run.row("    left in RX rings"), run::output);
            assertEquals(offeredToXdp, run.row("    received by Sluice") + run.row("    dropped by the kernel"),
                run::output);
            assertBalanced(run);
        }
        // what came after the program left went to the kernel's stack
        final long nic = LabGuest.await(() -> LabGuest.statistic(null, DUT_IF, "rx_packets") - nicBefore, FRAMES);
        final long stack = udpNoPorts() - stackBefore;
        assertEquals(nic, offeredToXdp + stack, "each frame the NIC received went to Sluice or the kernel, once");
        assertEquals(FRAMES, nic, "the NIC received every offered frame: Sluice had " + offeredToXdp +
            ", the stack " + stack);
    }

    private SluiceProcess start() throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("run", "--iface", DUT_IF, "--profile", profile.toString(),
            "--rules", rules.toString(), "--instance", instance, "--threading", "shared", "--cores", "1",
            "--idle", "backoff", "--quiet"));
        final SluiceProcess run = SluiceProcess.start(null, args.toArray(new String[0]));
        assertTrue(run.await("sluice: running on " + DUT_IF, 120), run::output);
        assertTrue(run.line("sluice: running on ").contains("(zero-copy,"), run::output);
        DutSockets.awaitCarrier(DUT_IF);

        return run;
    }

    /**
     * @return the DUT's {@code Udp: NoPorts}: datagrams its stack received for a port nothing listens on.
     */
    private static long udpNoPorts()
    {
        final String[] lines = NetNs.run("cat", "/proc/net/snmp").split("\n");
        for (int i = 0; i < lines.length - 1; i++)
        {
            if (lines[i].startsWith("Udp: ") && lines[i + 1].startsWith("Udp: "))
            {
                final String[] names = lines[i].split("\\s+");
                final String[] values = lines[i + 1].split("\\s+");
                for (int j = 1; j < names.length; j++)
                {
                    if ("NoPorts".equals(names[j]))
                    {
                        return Long.parseLong(values[j]);
                    }
                }
            }
        }
        throw new IllegalStateException("no Udp NoPorts in /proc/net/snmp");
    }

    private static void assertBalanced(final SluiceProcess run)
    {
        assertTrue(run.line("accounting: balanced").length() > 0, run::output);
        assertTrue(run.line("UMEM frames: ").contains("application=0 tx=0"), "every frame home: " +
            run.line("UMEM frames: "));
    }

    /**
     * Wait until the running instance has received {@code expected} frames (summed over its queues), or stopped
     * receiving short of it.
     */
    private long awaitReceived(final long expected)
    {
        final Path file = CountersFile.fileOf(instance);
        try (CountersView view = CountersView.open(file))
        {
            return LabGuest.await(() -> view.sums().getOrDefault("sluice_pipeline_received_total", 0L), expected);
        }
    }
}
