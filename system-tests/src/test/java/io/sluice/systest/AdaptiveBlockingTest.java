package io.sluice.systest;

import io.sluice.perf.TestHosts;
import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.PipelineCounter;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.blocking.Blocker;
import io.sluice.pipeline.parse.TcpFlyweight;
import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Transmit;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.util.NetNamespace;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adaptive fast path end to end on veth: the generator sends a legitimate flow and a flood from another source
 * to Sluice; the detector flags the flood, the blocker blocks it in XDP, the flood stops reaching user space while
 * the legitimate flow goes on with exact accounting, and the block expires after its TTL. Then the allowlist, and
 * the cap under a flood from many sources.
 */
class AdaptiveBlockingTest
{
    static final String GEN_ADDR = "10.225.0.1";
    static final String DUT_ADDR = "10.225.0.2";
    static final String FLOOD_ADDR = "10.225.0.66";
    static final int PORT = 9000;

    /**
     * Rings that hold the generator's paced bursts (about 26 ms of frames each) and more while the pipeline catches
     * up, so that no frame is lost to a full ring and the flows' counts are exact.
     */
    static final XskConfig RINGS = XskConfig.defaults().withRings(8192, 2048, 16384, 2048);

    static String rules(final String blockIf, final String blocking)
    {
        return """
            steer:
              - name: to-sluice
                proto: udp
                dst: %s/32
                dst_port: %d
            filter:
              - name: legit
                src: %s/32
                action: count
              - name: udp-flood
                proto: udp
                action: count
                block_if: %s
            blocking:
            %s
            """.formatted(DUT_ADDR, PORT, GEN_ADDR, blockIf, blocking.indent(2).stripTrailing());
    }

    @Test
    void shouldBlockAFloodInXdpWhileTheLegitimateFlowGoesOnExactlyAndUnblockAfterTheTtl() throws Exception
    {
        Privileged.require("a flood blocked in XDP on veth");
        final Rules rules = RulesFile.parse("blocking rules", rules("{pps: 10000, window_ms: 100}", "ttl_s: 2"));
        try (Scenario scenario = new Scenario("blk", rules))
        {
            // the legitimate flow first, fast enough to warm the pipeline's code up, then steady beside the flood
            final long warmUp = scenario.send(GEN_ADDR, 1, 20_000, 20_000).get();
            final long legitFrames = warmUp + 9_000;
            final Future<Long> legit = scenario.send(GEN_ADDR, 1, 9_000, 3_000);
            Thread.sleep(300);

            final long floodStartNs = System.nanoTime();
            final long floodSent = scenario.send(FLOOD_ADDR, 1, 50_000, 50_000).get();
            final Blocker blocker = scenario.processor.blocker();
            assertEquals(1, blocker.addedByDetector(), scenario.log::toString);
            final Blocker.Block block = blocker.blocks().get(0);
            assertEquals(Prefix.parse(FLOOD_ADDR + "/32"), block.prefix());
            assertEquals("udp-flood", block.rule());
            assertTrue(block.ratePps() > 10_000, "measured " + block.ratePps());
            final long reactionNs = block.addedAtNs() - floodStartNs;
            assertTrue(reactionNs > 0 && reactionNs < 500_000_000L, "blocked " + reactionNs / 1e6 + " ms after the " +
                "flood began");

            // user space stops seeing the flood; what it did not see, the block dropped in XDP, to the frame
            Thread.sleep(200);
            final long floodReceived = scenario.hits(1);
            assertTrue(floodReceived < floodSent / 2, "received " + floodReceived + " of " + floodSent);
            final long[] dropped = new long[1];
            final BooleanSupplier allDropped = () ->
            {
                dropped[0] = blocker.blocks().isEmpty() ? -1 : blocker.blocks().get(0).dropped().packets();
                return dropped[0] == floodSent - floodReceived;
            };
            await(allDropped, 500);
            assertEquals(floodSent - floodReceived, dropped[0], () -> "sent " +
                floodSent + ", received " + floodReceived + ", kernel drops " + scenario.processor.kernelDropped() +
                ", xdp " + Arrays.toString(scenario.processor.program().counters()) + ", " + scenario.log);
            assertEquals(floodSent - floodReceived,
                scenario.processor.program().counter(XdpCounter.DROP_BLOCKLIST).packets());

            // the TTL ends: the block goes, and the same source reaches user space again, below the rate
            awaitTrue(() -> 1 == blocker.expired(), 4_000);
            assertEquals(List.of(), blocker.blocks());
            assertEquals(floodSent - floodReceived, blocker.retiredDroppedPackets());
            assertEquals(500, scenario.send(FLOOD_ADDR, 1, 500, 2_000).get());
            assertEquals(legitFrames, warmUp + legit.get());
            awaitTrue(() -> scenario.hits(1) == floodReceived + 500, 2_000);

            final Accounting accounting = scenario.stop();
            assertTrue(accounting.balanced(), () -> String.join("\n", accounting.lines()));
            assertEquals(legitFrames, scenario.hits(0), "every legitimate frame, no more, no fewer");
            assertEquals(0, accounting.kernelDropped());
            assertEquals(floodSent + 500, scenario.hits(1) + accounting.packets(XdpCounter.DROP_BLOCKLIST));
            assertEquals(accounting.received(), accounting.pipeline().get(PipelineCounter.COUNTED));
            assertEquals(1, scenario.processor.pipeline().detector().flagged(0));
            assertTrue(scenario.log.stream().anyMatch((line) -> line.startsWith("blocked " + FLOOD_ADDR + "/32 for 2 s: " +
                "rule udp-flood saw ")), scenario.log::toString);
            assertTrue(scenario.log.stream().anyMatch((line) -> line.startsWith("unblocked " + FLOOD_ADDR + "/32: its " +
                "TTL ended; it dropped ")), scenario.log::toString);
        }
    }

    @Test
    void shouldNeverBlockAnAllowlistedSource() throws Exception
    {
        Privileged.require("the allowlist on veth");
        final Rules rules = RulesFile.parse("blocking rules", rules("{pps: 10000, window_ms: 100}",
            "allow: [" + FLOOD_ADDR + "/32]"));
        try (Scenario scenario = new Scenario("alw", rules))
        {
            final long sent = scenario.send(FLOOD_ADDR, 1, 30_000, 50_000).get();
            final Blocker blocker = scenario.processor.blocker();
            awaitTrue(() -> scenario.hits(1) == sent, 2_000);
            assertEquals(1, scenario.processor.pipeline().detector().flagged(0), "flagged, once in 0.6 s");
            assertEquals(1, blocker.skippedAllowlisted());
            assertEquals(0, blocker.addedByDetector());

            // an operator's block over the whole subnet spares the allowlisted host, in XDP
            assertEquals("ok\nblocked 10.225.0.0/24 until removed\n", blocker.submit("add 10.225.0.0/24").get());
            assertEquals("error\n" + FLOOD_ADDR + "/32 is on the allowlist (" + FLOOD_ADDR + "/32): it is never blocked",
                blocker.submit("add " + FLOOD_ADDR).get());
            assertEquals(1_000, scenario.send(FLOOD_ADDR, 1, 1_000, 5_000).get());
            assertEquals(1_000, scenario.send("10.225.0.67", 1, 1_000, 5_000).get());
            awaitTrue(() -> scenario.hits(1) == sent + 1_000, 2_000);

            final Accounting accounting = scenario.stop();
            assertTrue(accounting.balanced(), () -> String.join("\n", accounting.lines()));
            assertEquals(1_000, accounting.packets(XdpCounter.BLOCK_EXEMPT));
            assertEquals(1_000, accounting.packets(XdpCounter.DROP_BLOCKLIST));
            assertEquals(sent + 1_000, scenario.hits(1));
            assertEquals(1, blocker.addedManually());
        }
    }

    @Test
    void shouldHoldTheCapUnderAFloodFromManySources() throws Exception
    {
        Privileged.require("the cap on veth");
        final int sources = 64;
        final Rules rules = RulesFile.parse("blocking rules", rules("{pps: 1000, window_ms: 100}",
            "max_blocks: 8\nttl_s: 60"));
        try (Scenario scenario = new Scenario("cap", rules))
        {
            // 64 sources at 1,500 pps each, for 0.8 s: each crosses 1,000 pps once, within its hold-off
            scenario.send("10.225.1.0", sources, 76_800, 96_000).get();
            final Blocker blocker = scenario.processor.blocker();
            awaitTrue(() -> 64 == scenario.processor.pipeline().detector().flagged(0), 2_000);
            Thread.sleep(100);
            assertEquals(8, blocker.addedByDetector());
            assertEquals(8, blocker.blocks().size());
            assertEquals(sources - 8, blocker.skippedAtCap());
            for (final Blocker.Block block : blocker.blocks())
            {
                assertTrue(Prefix.parse("10.225.1.0/26").covers(block.prefix()), block.toString());
            }
            assertEquals(8, scenario.processor.program().blocklist().blocks().size(), "what the XDP program holds");

            final Accounting accounting = scenario.stop();
            assertTrue(accounting.balanced(), () -> String.join("\n", accounting.lines()));
        }
    }

    /**
     * A SYN flood over veth, as the handlers parse it: a source sending SYNs and never completing a handshake is
     * blocked; a busier one that completes each is not.
     */
    @Test
    void shouldBlockASynFloodButNotAClientThatCompletesItsHandshakes() throws Exception
    {
        Privileged.require("a SYN flood blocked in XDP on veth");
        final Rules rules = RulesFile.parse("syn rules", """
            steer:
              - {name: to-sluice, proto: tcp, dst: %s/32, dst_port: 80}
            filter:
              - name: syn-guard
                proto: tcp
                action: count
                block_if: {pps: 2000, syn_ratio: 4}
            """.formatted(DUT_ADDR));
        try (Scenario scenario = new Scenario("syn", rules);
            Umem umem = Umem.create(UmemConfig.defaults().withFrameCount(16_384));
            XskSocket sender = NetNamespace.call(scenario.hosts.genNs(),
                () -> XskSocket.open(umem, scenario.hosts.genIf(), 0, XskConfig.defaults().withPrefill(false))))
        {
            final String genMac = TestHosts.mac(scenario.hosts.genNs(), scenario.hosts.genIf());
            final String dutMac = TestHosts.mac(scenario.hosts.dutNs(), scenario.hosts.dutIf());
            final byte[] clientSyn = Frames.ethernet().macs(dutMac, genMac).ipv4("10.225.0.70", DUT_ADDR)
                .tcp(40_000, 80).build();
            final byte[] clientAck = clientSyn.clone();
            clientAck[TCP_FLAGS_OFFSET] = (byte)TcpFlyweight.FLAG_ACK;
            final byte[] flooderSyn = Frames.ethernet().macs(dutMac, genMac).ipv4("10.225.0.71", DUT_ADDR)
                .tcp(40_001, 80).build();

            // 3,000 handshakes from the client, then 3,000 bare SYNs from the flooder: both over 2,000 SYNs/s
            for (int burst = 0; burst < 3; burst++)
            {
                send(sender, clientSyn, clientAck, 1_000);
            }
            send(sender, flooderSyn, flooderSyn, 1_500);
            final Blocker blocker = scenario.processor.blocker();
            await(() -> 1 == blocker.addedByDetector(), 2_000);
            assertEquals(1, blocker.addedByDetector(), () -> "hits " + scenario.hits(0) + ", xdp " +
                Arrays.toString(scenario.processor.program().counters()) + ", pipeline " +
                scenario.processor.pipeline().stats());
            assertEquals(List.of(Prefix.parse("10.225.0.71/32")),
                blocker.blocks().stream().map(Blocker.Block::prefix).toList());

            // the flooder's next SYNs all end in XDP; the client goes on
            send(sender, flooderSyn, flooderSyn, 500);
            send(sender, clientSyn, clientAck, 500);
            awaitTrue(() -> scenario.hits(0) + scenario.processor.program().counter(XdpCounter.DROP_BLOCKLIST)
                .packets() == 11_000, 2_000);

            final Accounting accounting = scenario.stop();
            assertTrue(accounting.balanced(), () -> String.join("\n", accounting.lines()));
            assertEquals(0, accounting.kernelDropped());
            assertTrue(accounting.packets(XdpCounter.DROP_BLOCKLIST) >= 1_000, accounting.lines()::toString);
            assertEquals(11_000, scenario.hits(0) + accounting.packets(XdpCounter.DROP_BLOCKLIST));
            assertEquals(1, scenario.processor.pipeline().detector().flagged(0), "the client was never flagged");
        }
    }

    private static final int TCP_FLAGS_OFFSET = 14 + 20 + 13;

    /**
     * Send {@code pairs} times the two frames, from the gen side's AF_XDP socket.
     */
    private static void send(final XskSocket socket, final byte[] first, final byte[] second, final int pairs)
    {
        final List<byte[]> frames = new ArrayList<>(2 * pairs);
        for (int i = 0; i < pairs; i++)
        {
            frames.add(first);
            frames.add(second);
        }
        assertEquals(frames.size(), Transmit.frames(socket, frames));
    }

    static void awaitTrue(final BooleanSupplier condition, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(5);
        }
        assertTrue(condition.getAsBoolean(), "not within " + timeoutMs + " ms");
    }

    /**
     * Wait for a condition, up to a time, for an assertion after with its own message.
     */
    static void await(final BooleanSupplier condition, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(5);
        }
    }

    /**
     * Two test hosts, Sluice in-process on one with the rules, generators on the other.
     */
    static final class Scenario implements AutoCloseable
    {
        final TestHosts hosts;
        final PacketProcessor processor;
        final List<String> log = new CopyOnWriteArrayList<>();
        private final ExecutorService executor = Executors.newCachedThreadPool();

        Scenario(final String tag, final Rules rules) throws Exception
        {
            hosts = new TestHosts(tag, tag + "0", GEN_ADDR + "/24", tag + "1", DUT_ADDR + "/24");
            try
            {
                final SluiceContext ctx = new SluiceContext()
                    .iface(hosts.dutIf())
                    .queues(0)
                    .rules(rules)
                    .xdpMode(XdpMode.NATIVE)
                    .xskConfig(RINGS)
                    .umemConfig(UmemConfig.defaults())
                    .pipelineConfig(PipelineConfig.defaults());
                processor = NetNamespace.call(hosts.dutNs(), () -> PacketProcessor.launch(ctx.log(log::add)));
            }
            catch (final Exception | Error ex)
            {
                hosts.close();
                throw ex;
            }
        }

        /**
         * Send from {@code addresses} sources, the first {@code source}, to Sluice's steered port.
         */
        Future<Long> send(final String source, final int addresses, final long frames, final long ratePps)
        {
            final byte[] template = hosts.udpToDut(source, DUT_ADDR, 4000, PORT, 22);
            return executor.submit(() -> hosts.send(template, addresses, frames, ratePps));
        }

        long hits(final int rule)
        {
            return processor.pipeline().stats().ruleHits(rule);
        }

        Accounting stop()
        {
            return processor.stop();
        }

        @Override
        public void close()
        {
            executor.shutdownNow();
            try
            {
                processor.close();
            }
            finally
            {
                hosts.close();
            }
        }
    }
}
