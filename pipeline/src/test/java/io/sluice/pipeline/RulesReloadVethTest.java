package io.sluice.pipeline;

import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Resources;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reloads of an in-process pipeline on veth under traffic, through its control socket: the data path threads
 * allocate nothing while the rules change under them, and the filter's counters add up across the reloads, the
 * removed rules' in the retired total.
 */
class RulesReloadVethTest
{
    private static final String GEN_IF = "rlg0";
    private static final String DUT_IF = "rld0";
    private static final String RULES = """
        steer:
          - {name: udp-7000, proto: udp, dst_port: 7000}
        filter:
          - {name: %s, proto: udp, src: 10.232.0.1, action: count}
          - {name: kept, proto: udp, action: drop}
        """;

    private final Resources resources = new Resources();
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception
    {
        executor.shutdownNow();
        resources.close();
    }

    @Test
    void shouldAllocateNothingOnTheDataPathAndKeepTheFilterCountsExactAcrossReloads() throws Exception
    {
        Privileged.require("the pipeline on veth in network namespaces");
        final NetNs gen = resources.keep(NetNs.create("rlgen"));
        final NetNs dut = resources.keep(NetNs.create("rldut"));
        NetNs.veth(gen, GEN_IF, "10.232.0.1/24", dut, DUT_IF, "10.232.0.2/24");
        final Path first = dir.resolve("first.yaml");
        final Path second = dir.resolve("second.yaml");
        Files.writeString(first, RULES.formatted("first"));
        Files.writeString(second, RULES.formatted("second"));
        final String instance = "rlv-" + ProcessHandle.current().pid();
        final SluiceContext ctx = new SluiceContext()
            .iface(DUT_IF)
            .queues(0)
            .instance(instance)
            .rules(RulesFile.load(first))
            .xdpMode(XdpMode.NATIVE)
            .xskConfig(XskConfig.defaults().withRings(4096, 2048, 8192, 2048))
            .umemConfig(UmemConfig.defaults())
            .pipelineConfig(PipelineConfig.defaults().withThreading(ThreadingMode.DEDICATED, 1))
            .log((line) -> { });
        final PacketProcessor processor = resources.keep(dut.call(() -> PacketProcessor.launch(ctx)));
        resources.keep(() -> CountersFile.remove(instance));
        final Path socket = CountersFile.fileOf(instance).resolveSibling(ControlSocket.SOCKET_NAME);

        final byte[] template = Frames.ethernet().macs(dut.mac(DUT_IF), gen.mac(GEN_IF))
            .ipv4("10.232.0.1", "10.232.0.2").udp(40_000, 7000).payload(new byte[22]).build();
        final TrafficGenerator generator = resources.keep(gen.call(() -> TrafficGenerator.builder().egress(GEN_IF)
            .template(template).cpu(0).open()));
        // the same, once to warm up: the handlers' code compiled with frames of both generations in the pipeline
        final Thread[] threads = processor.pipeline().threads();
        final int frames = 40_000;
        reloadUnderTraffic(generator, gen, socket, first, second, frames);
        final long[] before = allocated(threads);
        reloadUnderTraffic(generator, gen, socket, first, second, frames);
        final long[] after = allocated(threads);
        assertArrayEquals(before, after, "bytes allocated by the receiver, handler and transmitter threads");

        final Accounting accounting = processor.stop();
        final String table = String.join("\n", accounting.lines());
        assertTrue(accounting.balanced(), table);
        final PipelineStats stats = accounting.pipeline();
        assertEquals(2 * frames, stats.get(PipelineCounter.RECEIVED), table);
        assertEquals(stats.get(PipelineCounter.RECEIVED), stats.filtered(), table);
        assertEquals(2 * frames, stats.ruleHits(0) + stats.retiredHits(), "first and second: the one running, " +
            "the ones removed retired; " + table);
        assertTrue(stats.retiredHits() > 0, table);
        assertEquals(0, stats.ruleHits(1), "kept never matched: the rule before it took every frame");
        assertEquals("first", stats.ruleName(0), "40 reloads, the last back to the first file");
        assertEquals(2 * frames, stats.get(PipelineCounter.COUNTED), table);
        assertEquals(0, stats.get(PipelineCounter.UNSTAMPED), "every frame carried its rules' generation");
    }

    private void reloadUnderTraffic(
        final TrafficGenerator generator,
        final NetNs gen,
        final Path socket,
        final Path first,
        final Path second,
        final int frames) throws Exception
    {
        final Future<Long> sent = executor.submit(() -> gen.call(() -> generator.send(frames, 20_000)));
        for (int i = 0; i < 20; i++)
        {
            final String reply = ControlSocket.request(socket, "rules reload " + (0 == i % 2 ? second : first));
            assertTrue(reply.startsWith("ok\n"), reply);
        }
        assertEquals(frames, sent.get(30, TimeUnit.SECONDS));
        Thread.sleep(100);
    }

    private static long[] allocated(final Thread[] threads)
    {
        final com.sun.management.ThreadMXBean bean =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long[] bytes = new long[threads.length];
        for (int i = 0; i < threads.length; i++)
        {
            bytes[i] = bean.getThreadAllocatedBytes(threads[i].threadId());
        }

        return bytes;
    }
}
