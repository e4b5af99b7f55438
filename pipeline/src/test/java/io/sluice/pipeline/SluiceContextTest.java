package io.sluice.pipeline;

import io.sluice.pipeline.rules.Rules;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.UmemConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The context's validation and what it derives, as {@code run} and every launcher rely on them.
 */
class SluiceContextTest
{
    private static final Rules REFLECT = RulesFile.parse("reflect rules", """
        steer:
          - {name: in, proto: udp, dst_port: 7000, action: steer}
        filter:
          - {name: back, proto: udp, dst_port: 7000, action: reflect}
        """);
    private static final Rules FORWARD = RulesFile.parse("forward rules", """
        steer:
          - {name: in, proto: udp, dst_port: 7000, action: steer}
        filter:
          - {name: out, proto: udp, dst_port: 7000, action: forward, to: veth8}
        """);
    private static final Rules MIRROR = RulesFile.parse("mirror rules", """
        steer:
          - {name: in, proto: udp, dst_port: 7000, action: steer}
        filter:
          - {name: look, proto: udp, dst_port: 7000, action: mirror}
        """);

    @Test
    void shouldRaiseTheUmemToHoldEverySocketsRingsAndThePipelinesRing()
    {
        final SluiceContext ctx = new SluiceContext().iface("veth9").queues(0, 1).rules(FORWARD).conclude();

        // two queues, each with an ingress socket and one on the forward target: four sockets
        assertEquals(4, ctx.sockets());
        final XskConfig xsk = XskConfig.defaults();
        assertEquals(4 * (xsk.fillRingSize() + xsk.txRingSize()) + PipelineConfig.RING_SIZE_DEFAULT,
            ctx.umemConfig().frameCount());
        assertEquals(UmemConfig.defaults().frameSizeBytes(), ctx.umemConfig().frameSizeBytes());
    }

    @Test
    void shouldKeepAUmemThatIsLargeEnough()
    {
        final UmemConfig big = UmemConfig.defaults().withFrameCount(1 << 16);
        final SluiceContext ctx = new SluiceContext().iface("veth9").rules(REFLECT).umemConfig(big).conclude();

        assertEquals(1 << 16, ctx.umemConfig().frameCount());
    }

    @Test
    void shouldStockIngressSocketsBeforeBindUnlessCopyModeIsForced()
    {
        final SluiceContext prefer = new SluiceContext().iface("veth9").rules(FORWARD)
            .xskConfig(XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.PREFER)).conclude();
        assertTrue(prefer.ingressXskConfig().prefill());
        assertFalse(prefer.egressXskConfig().prefill());

        final SluiceContext copy = new SluiceContext().iface("veth9").rules(FORWARD)
            .xskConfig(XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.COPY)).conclude();
        assertFalse(copy.ingressXskConfig().prefill());
        assertFalse(copy.egressXskConfig().prefill());
    }

    @Test
    void shouldDeriveTheLabelsAndTheCaptureRulesIndex()
    {
        final SluiceContext ctx = new SluiceContext().iface("veth9").rules(REFLECT)
            .capture(Path.of("/tmp/x.pcap"), "back", 10).conclude();

        assertEquals("iface=\"veth9\"", ctx.labels());
        assertEquals(0, ctx.captureRuleIndex());
        assertEquals(FrameEvent.ABSENT, new SluiceContext().iface("veth9").rules(MIRROR)
            .capture(Path.of("/tmp/x.pcap"), null, 10).conclude().captureRuleIndex());
    }

    @Test
    void shouldNameTheOptionAndTheProblem()
    {
        assertProblem("the rules file has mirror rules: give --capture FILE for their frames",
            new SluiceContext().iface("veth9").rules(MIRROR));
        assertProblem("--capture /tmp/x.pcap: name the frames with --capture-rule RULE, or give a filter rule " +
            "action: mirror", new SluiceContext().iface("veth9").rules(REFLECT).capture(Path.of("/tmp/x.pcap"), null,
            10));
        assertProblem("--capture-rule nosuch: no filter rule of that name (rules: back)",
            new SluiceContext().iface("veth9").rules(REFLECT).capture(Path.of("/tmp/x.pcap"), "nosuch", 10));
        assertProblem("--capture-rule needs --capture FILE",
            new SluiceContext().iface("veth9").rules(REFLECT).capture(null, "back",
            SluiceContext.CAPTURE_MAX_FRAMES_DEFAULT));
        assertProblem("--capture-max needs --capture FILE",
            new SluiceContext().iface("veth9").rules(REFLECT).capture(null, null, 5));
        assertProblem("--capture-max 0: at least 1",
            new SluiceContext().iface("veth9").rules(REFLECT).capture(Path.of("/tmp/x.pcap"), "back", 0));
        assertProblem("--metrics-port 70000: 1..65535",
            new SluiceContext().iface("veth9").rules(REFLECT).metricsPort(70000));
        assertProblem("an interface is needed (--iface)", new SluiceContext().rules(REFLECT));
        assertProblem("rules are needed (--rules)", new SluiceContext().iface("veth9"));
        assertProblem("at least one queue is needed", new SluiceContext().iface("veth9").rules(REFLECT).queues(new int[0]));
    }

    @Test
    void shouldCheckTheOptionsBeforeTheRulesAreKnown()
    {
        final SluiceContext options = new SluiceContext().metricsPort(0).capture(null, null,
            SluiceContext.CAPTURE_MAX_FRAMES_DEFAULT);
        assertEquals(options, options.checkOptions());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new SluiceContext().metricsPort(-1).checkOptions());
        assertEquals("--metrics-port -1: 1..65535", ex.getMessage());
    }

    @Test
    void shouldConcludeOnceAndThenRefuseChanges()
    {
        final SluiceContext ctx = new SluiceContext().iface("veth9").rules(REFLECT);
        assertFalse(ctx.isConcluded());
        ctx.conclude();
        assertTrue(ctx.isConcluded());

        assertThrows(IllegalStateException.class, ctx::conclude);
        assertThrows(IllegalStateException.class, () -> ctx.queues(1));
        assertThrows(IllegalStateException.class, () -> ctx.iface("veth8"));
        assertEquals("veth9", ctx.iface());
    }

    private static void assertProblem(final String message, final SluiceContext ctx)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertEquals(message, ex.getMessage());
        assertFalse(ctx.isConcluded());
    }
}
