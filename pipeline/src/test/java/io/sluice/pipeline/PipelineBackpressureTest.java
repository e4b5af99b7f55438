package io.sluice.pipeline;

import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Resources;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backpressure with a stuck TX path: the forward interface goes down, so its TX ring fills and stays full. The
 * transmitter retries for its bound and then drops with a counter; meanwhile the pipeline's ring fills, the
 * receiver stops reading, and the kernel drops at the RX ring, which Sluice reports. Nothing blocks, every frame is
 * accounted for, and when the link comes back the TX ring drains and forwarding resumes.
 */
class PipelineBackpressureTest
{
    private static final String GEN_IF = "pbg0";
    private static final String DUT_IF = "pbd0";
    private static final String OUT_IF = "pbo0";
    private static final String SINK_IF = "pbs0";
    private static final int TX_RING = 64;
    private static final long TX_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(5);

    private static final String RULES = """
        steer:
          - {name: to-sluice, proto: udp, dst_port: 7000, action: steer}
        filter:
          - {name: out, proto: udp, dst_port: 7000, action: forward, to: pbo0}
        """;

    private final Resources resources = new Resources();

    @AfterEach
    void tearDown() throws Exception
    {
        resources.close();
    }

    private <T extends AutoCloseable> T keep(final T resource)
    {
        return resources.keep(resource);
    }

    @Test
    void shouldDropWithCountersWhileTxIsStuckAndRecoverWhenTheLinkReturns() throws Exception
    {
        Privileged.require("the pipeline on veth in network namespaces");
        final NetNs gen = keep(NetNs.create("pbgen"));
        final NetNs dut = keep(NetNs.create("pbdut"));
        final NetNs sink = keep(NetNs.create("pbsnk"));
        NetNs.veth(gen, GEN_IF, "10.222.0.1/24", dut, DUT_IF, "10.222.0.2/24");
        NetNs.veth(dut, OUT_IF, "10.223.0.2/24", sink, SINK_IF, "10.223.0.1/24");
        final SteeringProgram sinkProgram = keep(sink.call(() -> SteeringProgram.open().attach(SINK_IF, XdpMode.NATIVE)));
        sinkProgram.tables().add(FlowRule.of(1, FlowRule.Action.DROP));

        final PipelineConfig pipelineConfig = PipelineConfig.defaults().withThreading(ThreadingMode.SHARED, 1, 1)
            .withRingSize(64).withTxRetryNs(TX_RETRY_NS);
        final SluiceContext ctx = new SluiceContext()
            .iface(DUT_IF)
            .queues(0)
            .rules(RulesFile.parse("backpressure rules", RULES))
            .xdpMode(XdpMode.NATIVE)
            .xskConfig(XskConfig.defaults().withRings(512, TX_RING, 1024, TX_RING))
            .umemConfig(UmemConfig.defaults())
            .pipelineConfig(pipelineConfig);
        final PacketProcessor processor = keep(dut.call(() -> PacketProcessor.launch(ctx)));
        final XskSocket out = processor.ports()[1];
        dut.ip("link", "set", OUT_IF, "down");

        final byte[] template = Frames.ethernet().macs(dut.mac(DUT_IF), gen.mac(GEN_IF))
            .ipv4("10.222.0.1", "10.223.0.1").udp(40_000, 7000).payload(new byte[22]).build();
        final TrafficGenerator generator = keep(gen.call(() -> TrafficGenerator.builder().egress(GEN_IF)
            .template(template).cpu(0).open()));
        final int stuck = 20_000;
        assertEquals(stuck, gen.call(() -> generator.send(stuck, 50_000)));
        Thread.sleep(200);

        PipelineStats stats = processor.pipeline().stats();
        assertEquals(TX_RING, stats.get(PipelineCounter.FORWARDED), "only what fits the TX ring is on it");
        assertTrue(stats.get(PipelineCounter.TX_DROPPED) > 0, "dropped after the retry bound");
        assertTrue(stats.get(PipelineCounter.TX_STALLS) > 0, "stalls counted");
        assertTrue(stats.get(PipelineCounter.RX_BACKPRESSURE) > 0, "the receiver held back on a full ring");
        assertTrue(processor.kernelDropped() > 0, "the kernel dropped at the full RX ring, and Sluice reports it");
        assertTrue(out.counter(XskCounter.TX_KICK_ENETDOWN) > 0, "wake-ups answered ENETDOWN");
        assertEquals(stats.get(PipelineCounter.RECEIVED),
            stats.get(PipelineCounter.FORWARDED) + stats.get(PipelineCounter.TX_DROPPED), "no frame lost uncounted");

        dut.ip("link", "set", OUT_IF, "up");
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sinkProgram.counter(XdpCounter.DROP_RULE).packets() < TX_RING && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
        }
        assertEquals(TX_RING, sinkProgram.counter(XdpCounter.DROP_RULE).packets(), "the TX ring drained on link-up");
        final int after = 1_000;
        final long forwardedBefore = processor.pipeline().stats().get(PipelineCounter.FORWARDED);
        final long droppedBefore = processor.pipeline().stats().get(PipelineCounter.TX_DROPPED);
        final long kernelDroppedBefore = processor.kernelDropped();
        assertEquals(after, gen.call(() -> generator.send(after, 5_000)));

        final long stopStartNs = System.nanoTime();
        final Accounting accounting = processor.stop();
        assertTrue(System.nanoTime() - stopStartNs < TimeUnit.SECONDS.toNanos(5), "stop is bounded");
        stats = accounting.pipeline();
        final String table = String.join("\n", accounting.lines());
        assertEquals(forwardedBefore + after, stats.get(PipelineCounter.FORWARDED), table);
        assertEquals(droppedBefore, stats.get(PipelineCounter.TX_DROPPED), table);
        assertEquals(kernelDroppedBefore, accounting.kernelDropped(), table);
        assertEquals(TX_RING + after, sinkProgram.counter(XdpCounter.DROP_RULE).packets(), "forwarding resumed");
        assertEquals(stuck + after, accounting.steered(), table);
        assertTrue(accounting.balanced(), table);
    }
}
