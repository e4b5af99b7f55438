package io.sluice.systest;

import io.sluice.perf.SluiceProcess;
import io.sluice.perf.TestHosts;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.NetNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fresh {@code ./sluice run} loses nothing while its JIT warms up: traffic at 50 kpps, about 1% of what it
 * forwards, is already flowing when it starts, so its first steered frame meets a data path that has never run.
 * The traffic comes as the live-frame generator paced it, in bursts of 1,300 frames every 26 ms, the harder case
 * for a cold receiver, each burst at 1 Mpps (flat out, the test host's veth would refuse some of a burst itself);
 * every frame the kernel steered must reach Sluice (no RX ring full, no fill ring empty) and be reflected.
 */
class WarmUpLossTest
{
    private static final String GEN_ADDR = "10.231.0.1";
    private static final String DUT_ADDR = "10.231.0.2";
    private static final int PORT = 9;
    private static final int BURST_FRAMES = 1_300;
    private static final long BURST_INTERVAL_NS = 26_000_000L;
    private static final long BURST_PPS = 1_000_000L;

    @TempDir
    Path dir;

    @Test
    void shouldLoseNoFrameAtFiftyKppsFromTheFirstSteeredFrame() throws Exception
    {
        Privileged.require("./sluice run on veth under traffic from its start");
        final String instance = "warm-" + ProcessHandle.current().pid();
        final Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, """
            steer:
              - {name: to-sluice, proto: udp, dst_port: %d}
            filter:
              - {name: reflect, proto: udp, dst_port: %d, action: reflect, swap: [ip, ports]}
            default: drop
            """.formatted(PORT, PORT));
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        final AtomicBoolean sending = new AtomicBoolean(true);
        try (TestHosts hosts = new TestHosts("warm", "warm0", GEN_ADDR + "/24", "warm1", DUT_ADDR + "/24"))
        {
            final byte[] template = hosts.udpToDut(GEN_ADDR, DUT_ADDR, 4000, PORT, 22);
            final Future<long[]> sent = executor.submit(() -> bursts(hosts, template, sending));
            // the traffic is on before Sluice starts: its first steered frame is its first frame at 50 kpps
            Thread.sleep(300);
            try (SluiceProcess run = SluiceProcess.start(hosts.dutNs(), "run", "--iface", hosts.dutIf(), "--rules",
                rules.toString(), "--instance", instance, "--quiet"))
            {
                assertTrue(run.await("sluice: blocks: ", 120), run::output);
                Thread.sleep(3_000);
                sending.set(false);
                final long[] counts = sent.get(30, TimeUnit.SECONDS);
                Thread.sleep(200);
                run.signal("TERM");
                assertEquals(0, run.waitFor(30), run::output);

                assertTrue(run.line("accounting: balanced").length() > 0, run::output);
                System.out.println("WarmUpLossTest: " + counts[0] + " frames sent, " + counts[1] + " refused by the " +
                    "test host's veth, " + run.row("  steered to AF_XDP") + " steered to Sluice");
                final long steered = run.row("  steered to AF_XDP");
                assertTrue(steered >= 3 * 50_000, run::output);
                assertEquals(0, run.row("    dropped by the kernel"), run::output);
                assertEquals(steered, run.row("    received by Sluice"), run::output);
                assertEquals(steered, run.row("      reflect"), run::output);
                // the frames before the program was attached went to the DUT's kernel without XDP
                assertTrue(run.row("offered to XDP") <= counts[0], run::output);
            }
        }
        finally
        {
            sending.set(false);
            executor.shutdownNow();
        }
    }

    /**
     * Bursts of {@link #BURST_FRAMES} at full speed every {@link #BURST_INTERVAL_NS} until told to stop.
     *
     * @return frames sent and frames the generator's veth refused.
     */
    private static long[] bursts(final TestHosts hosts, final byte[] template, final AtomicBoolean sending)
        throws Exception
    {
        return NetNamespace.call(hosts.genNs(), () ->
        {
            try (TrafficGenerator generator = TrafficGenerator.builder().egress(hosts.genIf()).template(template)
                .cpu(0).open())
            {
                long sent = 0;
                long nextNs = System.nanoTime();
                while (sending.get())
                {
                    sent += generator.send(BURST_FRAMES, BURST_PPS);
                    nextNs += BURST_INTERVAL_NS;
                    final long waitNs = nextNs - System.nanoTime();
                    if (waitNs > 0)
                    {
                        TimeUnit.NANOSECONDS.sleep(waitNs);
                    }
                }

                return new long[]{sent, generator.failures()};
            }
        });
    }
}
