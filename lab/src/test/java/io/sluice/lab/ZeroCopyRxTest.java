package io.sluice.lab;

import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.XskStatistics;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.umem.FrameOwnership;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static io.sluice.lab.LabGuest.OFFERED_FRAME_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Receiving in AF_XDP zero-copy on the lab's virtio_net or igb NICs: the bind in each zero-copy policy, and rxdrop
 * with every frame the generator offered counted once, every UMEM frame back where it started.
 */
@Tag("lab")
class ZeroCopyRxTest
{
    /**
     * Rings deep enough to hold 200 ms of the offered rate: the guest's first frames meet a receive loop that is not
     * compiled yet, and under TCG that stalls long enough to fill a small RX ring.
     */
    private static final int FILL_RING = 2048;
    private static final int RX_RING = 2048;
    private static final int FRAMES = 20_000;
    private static final int RATE_PPS = 10_000;
    private static final int REBINDS = 3;
    private static final int REBIND_FRAMES = 2_000;
    private static final long STALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @ParameterizedTest(name = "zero_copy: {0} binds in {1} mode")
    @CsvSource({ "require, zero-copy", "prefer, zero-copy", "copy, copy" })
    void shouldBindInTheModeItsPolicyAsksForAndReceiveEveryFrameInIt(final String policy, final String mode)
    {
        final String driver = LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.fromLabel(policy));
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(umemFor(DUT_IF));
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            for (final XskSocket socket : sockets.sockets())
            {
                assertEquals(mode, socket.mode(), socket.toString());
                assertEquals(driver, socket.driver());
            }
            program.tables().steerAll(true);

            final long received = receiveOffered(sockets, 2_000);

            assertEquals(2_000, received, mode + " mode received every offered frame; " + where(program, sockets));
            assertEquals(2_000, program.counter(XdpCounter.REDIRECT).packets());
        }
    }

    @Test
    void shouldReceiveEveryOfferedFrameInZeroCopyWithEveryUmemFrameAccountedFor()
    {
        LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(umemFor(DUT_IF));
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            program.tables().steerAll(true);
            final FrameOwnership idle = stocked(umem, sockets);
            assertEquals(idle, umem.ownership(), "every fill ring stocked, the rest free");

            final long received = receiveOffered(sockets, FRAMES);

            // offered = received + dropped (with a reason) + passed, where nothing may be dropped or passed
            assertEquals(FRAMES, received, where(program, sockets));
            long outcomes = 0;
            for (final XdpCounter counter : XdpCounter.values())
            {
                outcomes += counter.isOutcome() ? program.counter(counter).packets() : 0;
            }
            assertEquals(FRAMES, outcomes, "the XDP program saw each offered frame once");
            assertEquals(FRAMES, program.counter(XdpCounter.REDIRECT).packets());
            long socketFrames = 0;
            for (final XskSocket socket : sockets.sockets())
            {
                socketFrames += socket.counter(XskCounter.RX_FRAMES);
            }
            assertEquals(FRAMES, socketFrames);
            final XskStatistics statistics = sockets.statistics();
            assertEquals(0, statistics.rxDropped(), statistics.toString());
            assertEquals(0, statistics.rxRingFull(), statistics.toString());
            assertEquals(0, statistics.rxInvalidDescs(), statistics.toString());
            // the fill ring is stocked before bind, so the driver never found it empty
            assertEquals(0, statistics.rxFillRingEmptyDescs(), statistics.toString());
            assertEquals(idle, umem.ownership(), "every frame back on a fill ring or in the pool");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    /**
     * Closing a zero-copy socket hands its queue back to the driver, which resets the queue to take its buffers back
     * (virtio_net resets the virtqueue, igb disables and re-enables the ring pair), and the kernel releases the pool
     * after the socket's fd is gone. A bind straight after must find the queue free, or retry until it is, and come
     * up in zero-copy on a queue that receives.
     */
    @Test
    void shouldBindInZeroCopyAgainStraightAfterCloseAndReceiveEveryFrameEachTime()
    {
        LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE))
        {
            program.tables().steerAll(true);
            for (int bind = 1; bind <= REBINDS; bind++)
            {
                final long redirectedBefore = program.counter(XdpCounter.REDIRECT).packets();
                try (Umem umem = Umem.create(umemFor(DUT_IF));
                    DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
                {
                    for (final XskSocket socket : sockets.sockets())
                    {
                        assertEquals("zero-copy", socket.mode(), "bind " + bind + ": " + socket);
                    }
                    final FrameOwnership idle = stocked(umem, sockets);
                    assertEquals(idle, umem.ownership(), "bind " + bind + ": every fill ring stocked, the rest free");

                    final long received = receiveOffered(sockets, REBIND_FRAMES);

                    assertEquals(REBIND_FRAMES, received, "bind " + bind + ": " + where(program, sockets));
                    assertEquals(REBIND_FRAMES, program.counter(XdpCounter.REDIRECT).packets() - redirectedBefore,
                        "bind " + bind + ": " + where(program, sockets));
                    final XskStatistics statistics = sockets.statistics();
                    assertEquals(0, statistics.rxDropped() + statistics.rxRingFull() + statistics.rxInvalidDescs(),
                        "bind " + bind + ": " + statistics);
                    assertEquals(idle, umem.ownership(), "bind " + bind + ": every frame back where it started");
                    assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
                }
            }
        }
    }

    /**
     * Where frames went, for a failure's message: the XDP program's outcomes and the sockets' kernel statistics.
     */
    static String where(final SteeringProgram program, final DutSockets sockets)
    {
        final StringBuilder out = new StringBuilder("XDP:");
        for (final XdpCounter counter : XdpCounter.values())
        {
            final long packets = program.counter(counter).packets();
            if (packets > 0)
            {
                out.append(' ').append(counter.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(packets);
            }
        }

        return out.append("; sockets: ").append(sockets.statistics()).toString();
    }

    /**
     * @return where every frame is with each socket's fill ring full and nothing received: the rest in the pool.
     */
    private static FrameOwnership stocked(final Umem umem, final DutSockets sockets)
    {
        final long fill = (long)sockets.sockets().length * FILL_RING;

        return new FrameOwnership(umem.frameCount() - fill, fill, 0, 0, umem.frameCount());
    }

    static UmemConfig umemFor(final String iface)
    {
        return UmemConfig.defaults().withFrameSize(2048).withFrameTracking(true)
            .withFrameCount(Integer.highestOneBit(DutSockets.rxQueues(iface) * (FILL_RING + RX_RING)) * 2);
    }

    /**
     * Offer frames from the generator while receiving them on every queue; each must be the generator's.
     */
    private static long receiveOffered(final DutSockets sockets, final int frames)
    {
        final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(() -> LabGuest.offer(frames, RATE_PPS));
        final long[] perQueue = new long[sockets.sockets().length];
        final long received = sockets.receiveAndRefill(frames, perQueue,
            (queue, address, length) -> assertEquals(OFFERED_FRAME_BYTES, length), STALL_TIMEOUT_NS,
            () -> offered.isCompletedExceptionally() ? 1 : 0);
        assertEquals(frames, offered.join(), "offered");

        return received;
    }
}
