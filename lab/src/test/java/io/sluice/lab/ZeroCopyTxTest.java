package io.sluice.lab;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.FrameOwnership;
import io.sluice.xsk.umem.FramePool;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static io.sluice.lab.LabGuest.DUT_IF2;
import static io.sluice.lab.LabGuest.DUT_MAC;
import static io.sluice.lab.LabGuest.DUT_MAC2;
import static io.sluice.lab.LabGuest.GEN_IF;
import static io.sluice.lab.LabGuest.GEN_IF2;
import static io.sluice.lab.LabGuest.GEN_MAC;
import static io.sluice.lab.LabGuest.GEN_MAC2;
import static io.sluice.lab.LabGuest.GEN_NS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transmitting in AF_XDP zero-copy on the lab's virtio_net or igb NICs, where the driver sends from the UMEM and hands
 * each frame back on the completion ring: txonly, and a forward from one NIC to the other through one UMEM, each
 * frame sent from the buffer it arrived in. The generator's NICs count what arrives; every UMEM frame ends where it
 * started.
 */
@Tag("lab")
class ZeroCopyTxTest
{
    private static final int FRAMES = 20_000;
    private static final int RATE_PPS = 10_000;
    private static final int BATCH = 64;
    private static final int TX_RING = 2048;
    private static final int FILL_RING = 2048;
    private static final int RX_RING = 2048;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    /**
     * An address on neither generator NIC: what arrives there is counted by the driver and dropped by the stack
     * without an answer (no ICMP port unreachable coming back to the DUT).
     */
    private static final String NOWHERE = "10.77.9.9";

    @Test
    void shouldTransmitEveryFrameAndHaveEachCompletedOnceInZeroCopy()
    {
        LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(0, TX_RING, 64, TX_RING).withPrefill(false)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        final UmemConfig umemConfig = UmemConfig.defaults().withFrameSize(2048).withFrameTracking(true)
            .withFrameCount(2 * TX_RING);
        // a program on the NIC, as Sluice always runs: igb gives zero-copy only with native XDP on
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(umemConfig);
            XskSocket socket = XskSocket.open(umem, DUT_IF, 0, config))
        {
            assertEquals("zero-copy", socket.mode(), socket.toString());
            DutSockets.awaitCarrier(DUT_IF);
            final byte[] frame = Frames.ethernet().macs(GEN_MAC, DUT_MAC).ipv4(LabGuest.DUT_ADDR, NOWHERE)
                .udp(40_000, 9).payload(18).build();
            final MemorySegment memory = umem.memory();
            for (int i = 0; i < umem.frameCount(); i++)
            {
                MemorySegment.copy(frame, 0, memory, JAVA_BYTE, (long)i * umem.frameSizeBytes(), frame.length);
            }
            final long genBefore = LabGuest.statistic(GEN_NS, GEN_IF, "rx_packets");

            final long completed = transmit(socket, umem.pool(), frame.length, FRAMES);

            assertEquals(FRAMES, socket.counter(XskCounter.TX_FRAMES), "placed on the TX ring");
            assertEquals(FRAMES, completed, "each frame completed once: " + socket.statistics());
            assertEquals(0, socket.txFrames(), "none left with the kernel");
            assertEquals(0, socket.statistics().txInvalidDescs(), socket.statistics().toString());
            assertEquals(FRAMES, LabGuest.await(() -> LabGuest.statistic(GEN_NS, GEN_IF, "rx_packets") - genBefore,
                FRAMES), () -> "the generator's NIC received each frame: " + LabGuest.nicStatistics(GEN_NS, GEN_IF));
            assertEquals(new FrameOwnership(umem.frameCount(), 0, 0, 0, umem.frameCount()), umem.ownership(),
                "every frame back in the pool");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    @Test
    void shouldForwardEveryFrameToTheOtherNicThroughOneUmemInZeroCopy()
    {
        LabGuest.require();
        final XskConfig rxConfig = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        final XskConfig txConfig = XskConfig.defaults().withRings(0, TX_RING, 64, TX_RING).withPrefill(false)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            SteeringProgram outProgram = SteeringProgram.open().attach(DUT_IF2, XdpMode.NATIVE);
            Umem umem = Umem.create(ZeroCopyRxTest.umemFor(DUT_IF));
            DutSockets in = DutSockets.open(umem, DUT_IF, rxConfig, program);
            XskSocket out = XskSocket.open(umem, DUT_IF2, 0, txConfig))
        {
            assertTrue(out.sharedUmem());
            assertEquals("zero-copy", out.mode(), out.toString());
            for (final XskSocket socket : in.sockets())
            {
                assertEquals("zero-copy", socket.mode(), socket.toString());
            }
            DutSockets.awaitCarrier(DUT_IF2);
            program.tables().steerAll(true);
            final int queues = in.sockets().length;
            final FrameOwnership idle = new FrameOwnership(
                umem.frameCount() - (long)queues * FILL_RING, (long)queues * FILL_RING, 0, 0, umem.frameCount());
            final long sinkBefore = LabGuest.statistic(GEN_NS, GEN_IF2, "rx_packets");

            final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(
                () -> LabGuest.offer(FRAMES, RATE_PPS));
            final long forwarded = forward(in, out, umem, offered);

            assertEquals(FRAMES, offered.join(), "offered");
            assertEquals(FRAMES, forwarded, "received and completed on the other NIC: " +
                ZeroCopyRxTest.where(program, in) + "; out: " + out.statistics());
            assertEquals(FRAMES, out.counter(XskCounter.TX_FRAMES));
            assertEquals(0, out.statistics().txInvalidDescs(), out.statistics().toString());
            assertEquals(0, in.statistics().rxDropped(), in.statistics().toString());
            assertEquals(FRAMES, LabGuest.await(() -> LabGuest.statistic(GEN_NS, GEN_IF2, "rx_packets") - sinkBefore,
                FRAMES), () -> "the generator's second NIC received each forwarded frame: " +
                LabGuest.nicStatistics(GEN_NS, GEN_IF2) + "; out: " + LabGuest.nicStatistics(null, DUT_IF2));
            assertEquals(0, out.fillFrames(), "the sending socket never received");
            assertEquals(idle, umem.ownership(), "every forwarded frame back on a receiving fill ring");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    @Test
    void shouldReflectEveryFrameFromTheBufferItArrivedInOnTheSameSocketInZeroCopy()
    {
        LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, TX_RING, FILL_RING, TX_RING)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        final long genBefore = LabGuest.statistic(GEN_NS, GEN_IF, "rx_packets");
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(ZeroCopyRxTest.umemFor(DUT_IF));
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            program.tables().steerAll(true);
            final int queues = sockets.sockets().length;
            final FrameOwnership idle = new FrameOwnership(
                umem.frameCount() - (long)queues * FILL_RING, (long)queues * FILL_RING, 0, 0, umem.frameCount());
            final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(
                () -> LabGuest.offer(FRAMES, RATE_PPS));

            final long reflected = reflect(sockets, umem, offered);

            assertEquals(FRAMES, offered.join(), "offered");
            long sent = 0;
            for (final XskSocket socket : sockets.sockets())
            {
                sent += socket.counter(XskCounter.TX_FRAMES);
            }
            assertEquals(FRAMES, reflected, () -> "reflected and completed: sent " + sockets.statistics() + "; " +
                ZeroCopyRxTest.where(program, sockets) + ", " + umem.ownership());
            assertEquals(FRAMES, sent);
            assertEquals(FRAMES, LabGuest.await(() -> LabGuest.statistic(GEN_NS, GEN_IF, "rx_packets") - genBefore,
                FRAMES), () -> "the generator's NIC received each reflected frame: " +
                LabGuest.nicStatistics(GEN_NS, GEN_IF));
            assertEquals(idle, umem.ownership(), "every reflected frame back on its fill ring");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    /**
     * Receive on every queue, swap each frame's MACs in place and send it back from the same socket; completions go
     * straight to that socket's fill ring.
     *
     * @return frames completed.
     */
    private static long reflect(final DutSockets in, final Umem umem, final CompletableFuture<Long> offered)
    {
        final byte[] macs = new byte[12];
        System.arraycopy(Frames.mac(GEN_MAC), 0, macs, 0, 6);
        System.arraycopy(Frames.mac(DUT_MAC), 0, macs, 6, 6);
        final MemorySegment memory = umem.memory();
        final long[] addresses = new long[BATCH];
        final int[] lengths = new int[BATCH];
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        long completed = 0;
        while (completed < FRAMES && System.nanoTime() < deadlineNs && !offered.isCompletedExceptionally())
        {
            for (final XskSocket socket : in.sockets())
            {
                final int n = socket.receive(addresses, lengths, 0, BATCH);
                for (int i = 0; i < n; i++)
                {
                    MemorySegment.copy(macs, 0, memory, JAVA_BYTE, addresses[i], macs.length);
                }
                int placed = 0;
                while (placed < n && System.nanoTime() < deadlineNs)
                {
                    placed += socket.transmit(addresses, lengths, placed, n - placed);
                    completed += socket.completeToFill(BATCH);
                }
                socket.flushTx();
                completed += socket.completeToFill(BATCH);
            }
        }

        return completed;
    }

    /**
     * Send {@code frames} from the pool at {@link #RATE_PPS}, completed frames back to the pool, then wait for the
     * last completions.
     *
     * @return frames completed.
     */
    static long transmit(final XskSocket socket, final FramePool pool, final int length, final int frames)
    {
        final long[] addresses = new long[BATCH];
        final int[] lengths = new int[BATCH];
        Arrays.fill(lengths, length);
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TIMEOUT_NS;
        long sent = 0;
        long completed = 0;
        while (completed < frames && System.nanoTime() < deadlineNs)
        {
            completed += socket.completeToPool(Integer.MAX_VALUE);
            final long due = (System.nanoTime() - startNs) * RATE_PPS / 1_000_000_000L + 1;
            final int wanted = (int)Math.min(BATCH, Math.min(frames, due) - sent);
            final int n = wanted > 0 ? pool.allocate(addresses, 0, wanted) : 0;
            if (n > 0)
            {
                final int placed = socket.transmit(addresses, lengths, 0, n);
                pool.release(addresses, placed, n - placed);
                sent += placed;
            }
            socket.flushTx();
        }

        return completed;
    }

    /**
     * Receive on every queue of {@code in}, rewrite each frame's Ethernet header in place for the generator's second
     * NIC and send it from {@code out} in the buffer it arrived in; completed frames go back through the pool to
     * the receiving fill rings. Ends when every frame offered has completed, or the offer failed, or time ran out.
     *
     * @return frames completed on {@code out}.
     */
    private static long forward(
        final DutSockets in, final XskSocket out, final Umem umem, final CompletableFuture<Long> offered)
    {
        final byte[] macs = new byte[12];
        System.arraycopy(Frames.mac(GEN_MAC2), 0, macs, 0, 6);
        System.arraycopy(Frames.mac(DUT_MAC2), 0, macs, 6, 6);
        final MemorySegment memory = umem.memory();
        final long[] addresses = new long[BATCH];
        final int[] lengths = new int[BATCH];
        final XskSocket[] sockets = in.sockets();
        // frames each receiving socket is owed back: completions refill the sockets that received, one for one
        final long[] owed = new long[sockets.length];
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        long completed = 0;
        while (completed < FRAMES && System.nanoTime() < deadlineNs && !offered.isCompletedExceptionally())
        {
            for (int q = 0; q < sockets.length; q++)
            {
                final XskSocket socket = sockets[q];
                final int n = socket.receive(addresses, lengths, 0, BATCH);
                owed[q] += n;
                for (int i = 0; i < n; i++)
                {
                    MemorySegment.copy(macs, 0, memory, JAVA_BYTE, addresses[i], macs.length);
                }
                int placed = 0;
                while (placed < n && System.nanoTime() < deadlineNs)
                {
                    placed += out.transmit(addresses, lengths, placed, n - placed);
                    completed += refill(out, sockets, owed);
                }
                out.flushTx();
                completed += refill(out, sockets, owed);
            }
        }

        return completed;
    }

    /**
     * Completed frames back to the fill rings of the sockets owed them. A driver that owns its RX ring in
     * zero-copy (igb) holds frames it took from the fill ring on its hardware ring, so topping a fill ring up to its
     * size would give the kernel more frames than it started with.
     */
    private static int refill(final XskSocket out, final XskSocket[] sockets, final long[] owed)
    {
        int completed = 0;
        for (int q = 0; q < sockets.length; q++)
        {
            final int n = out.completeToFill(sockets[q], (int)Math.min(owed[q], BATCH));
            owed[q] -= n;
            completed += n;
        }

        return completed;
    }
}
