package io.sluice.lab;

import io.sluice.xsk.socket.Refill;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.umem.FrameOwnership;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static io.sluice.lab.LabGuest.OFFERED_FRAME_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fill ring's need_wakeup in zero-copy, where the driver owns the RX ring and takes its buffers from the fill
 * ring: starved (as many frames as were stocked, received and held, none given back), igb finds the fill ring empty
 * and sets the flag, and receives nothing more until woken; virtio_net never sets it and refills from its own work
 * item. Then recovered: the frames go back, the receive loop wakes the driver when the flag asks, and every frame
 * offered after arrives.
 * <p>
 * On igb that holds only with its queues paired, RX and TX of each on one interrupt vector, as the lab's
 * {@code stage2.sh} sets them (5 queues). With 4 or fewer (and so with the igb profile's one), igb gives RX and TX
 * vectors of their own and its {@code igb_xsk_wakeup} kicks the TX one, so a starved RX is never woken (Linux 6.18).
 * The igb profile binds without need_wakeup for that: the driver then polls on by itself while the fill ring is
 * empty, which the second case shows on one queue with split vectors.
 */
@Tag("lab")
class ZeroCopyWakeupTest
{
    private static final int FILL_RING = 512;
    private static final int RX_RING = 2048;
    private static final int FRAMES = 4_000;
    private static final int RATE_PPS = 5_000;
    private static final long QUIET_NS = TimeUnit.MILLISECONDS.toNanos(1500);
    private static final long STALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void shouldHonourTheFillRingsNeedWakeupAfterStarvingAndReceiveEveryFrame()
    {
        final String driver = LabGuest.require();
        if ("igb".equals(driver))
        {
            assertTrue(NetNs.run("cat", "/proc/interrupts").contains(DUT_IF + "-TxRx-0"),
                "igb's queues paired, RX and TX on one vector (stage2.sh: ethtool -L " + DUT_IF + " combined 5)");
        }
        starveAndRecover(driver, XskConfig.defaults());
    }

    @Test
    void shouldRecoverFromAStarvedFillRingWithoutAnyWakeupWhenBoundWithoutNeedWakeup()
    {
        final String driver = LabGuest.require();
        if ("igb".equals(driver))
        {
            // one queue, as the igb profile sets it: RX and TX on vectors of their own
            setChannels(1);
            try
            {
                assertTrue(NetNs.run("cat", "/proc/interrupts").contains(DUT_IF + "-rx-0"), "igb's vectors split");
                starveAndRecover(driver, XskConfig.defaults().withNeedWakeup(false));
            }
            finally
            {
                setChannels(5);
            }
        }
        else
        {
            starveAndRecover(driver, XskConfig.defaults().withNeedWakeup(false));
        }
    }

    private static void setChannels(final int combined)
    {
        NetNs.run("ethtool", "-L", DUT_IF, "combined", Integer.toString(combined));
        DutSockets.awaitCarrier(DUT_IF);
    }

    private static void starveAndRecover(final String driver, final XskConfig defaults)
    {
        final XskConfig config = defaults.withRings(RX_RING, 0, FILL_RING, 64).withZeroCopy(ZeroCopyPolicy.REQUIRE);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(ZeroCopyRxTest.umemFor(DUT_IF));
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            program.tables().steerAll(true);
            final XskSocket[] queues = sockets.sockets();
            final FrameOwnership idle = new FrameOwnership(
                umem.frameCount() - (long)queues.length * FILL_RING, (long)queues.length * FILL_RING, 0, 0,
                umem.frameCount());
            // starve: as many frames as the fill rings were stocked with, taken and held, none given back
            assertEquals(FILL_RING, LabGuest.offer(FILL_RING, RATE_PPS));
            final long[][] held = new long[queues.length][FILL_RING];
            final int[] heldCount = new int[queues.length];
            final int[] lengths = new int[FILL_RING];
            final long startNs = System.nanoTime();
            long lastFrameNs = startNs;
            int taken = 0;
            while (taken < FILL_RING && System.nanoTime() - lastFrameNs < QUIET_NS)
            {
                for (int q = 0; q < queues.length; q++)
                {
                    final int n = queues[q].receive(held[q], lengths, heldCount[q], FILL_RING - heldCount[q]);
                    if (n > 0)
                    {
                        heldCount[q] += n;
                        taken += n;
                        lastFrameNs = System.nanoTime();
                    }
                }
            }
            final int starved = busiest(heldCount);
            final XskSocket socket = queues[starved];
            assertEquals(FILL_RING, heldCount[starved], "one queue received them all, until its fill ring ran dry");
            assertEquals(0, socket.fillFrames(), "nothing left on its fill ring");
            // the driver looks for more buffers after each frame it delivers, and flags the ring when it finds none
            final boolean flagged = socket.fillRing().needsWakeup();
            final long wakeupsBefore = socket.counter(XskCounter.RX_WAKEUPS);
            final String starvedState = "driver " + driver + ", queue " + starved + ": need_wakeup " + flagged + ", " +
                socket.statistics();
            if (!config.needWakeup())
            {
                assertEquals(false, flagged, "the flag is never set without need_wakeup: " + starvedState);
            }
            else if ("igb".equals(driver))
            {
                assertTrue(flagged, "igb sets need_wakeup on an empty fill ring: " + starvedState);
            }
            else
            {
                assertEquals(false, flagged, "virtio_net refills from its own work and never sets need_wakeup: " +
                    starvedState);
            }

            // recover: the held frames back; then more traffic, received and refilled as the pipeline does, which
            // wakes the driver while the flag is set: without that, igb's empty hardware ring never receives again
            for (int q = 0; q < queues.length; q++)
            {
                assertEquals(heldCount[q], Refill.all(queues[q], held[q], heldCount[q]));
            }
            final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(
                () -> LabGuest.offer(FRAMES, RATE_PPS));
            final long[] perQueue = new long[queues.length];
            final long received = sockets.receiveAndRefill(FRAMES, perQueue,
                (queue, address, length) -> assertEquals(OFFERED_FRAME_BYTES, length), STALL_TIMEOUT_NS,
                () -> offered.isCompletedExceptionally() ? 1 : 0);

            assertEquals(FRAMES, offered.join(), "offered");
            assertEquals(FRAMES, received, "every frame offered after the starvation received: " + starvedState +
                "; now " + ZeroCopyRxTest.where(program, sockets) + ", " + LabGuest.nicStatistics(null, DUT_IF) +
                "; wake-ups " + socket.counter(XskCounter.RX_WAKEUPS) + " (" +
                socket.counter(XskCounter.RX_WAKEUP_ERRORS) + " failed, last errno " + socket.lastWakeupErrno() +
                "), need_wakeup now " + socket.fillRing().needsWakeup());
            if (flagged)
            {
                assertTrue(socket.counter(XskCounter.RX_WAKEUPS) > wakeupsBefore, "woke the driver as it asked");
            }
            else
            {
                assertEquals(wakeupsBefore, socket.counter(XskCounter.RX_WAKEUPS), "never woke the driver");
            }
            assertEquals(FILL_RING + FRAMES, program.counter(XdpCounter.REDIRECT).packets());
            assertEquals(0, sockets.statistics().rxDropped(), sockets.statistics().toString());
            assertEquals(idle, umem.ownership(), "every frame back on a fill ring or in the pool");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    private static int busiest(final int[] counts)
    {
        int best = 0;
        for (int i = 1; i < counts.length; i++)
        {
            best = counts[i] > counts[best] ? i : best;
        }

        return best;
    }
}
