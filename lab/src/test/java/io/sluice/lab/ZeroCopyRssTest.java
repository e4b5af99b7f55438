package io.sluice.lab;

import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-queue zero-copy on igb: one socket per RX queue on one UMEM, UDP hashed on addresses and ports. Every frame
 * of a flow arrives on one queue, the flows spread over every queue, and when the indirection table sends every
 * hash to one queue, every frame arrives there. igb does not show its RSS key ({@code ethtool -x}: "Operation not
 * supported"), so the hash itself cannot be recomputed here; the table is what the test steers by. Tagged
 * {@code multiqueue}: the lab's virtio-net NICs have one queue.
 */
@Tag("lab")
@Tag("multiqueue")
class ZeroCopyRssTest
{
    private static final int FRAMES = 6_400;
    private static final int FLOWS = 64;
    private static final int RATE_PPS = 10_000;
    /**
     * Where the UDP source port sits in what {@code offer.py} sends: after the Ethernet and the 20-byte IPv4 header.
     */
    private static final int SRC_PORT_OFFSET = 14 + 20;
    private static final long STALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void shouldReceiveEachFlowOnOneQueueAndFollowTheIndirectionTable()
    {
        LabGuest.require();
        final int queues = DutSockets.rxQueues(DUT_IF);
        assertTrue(queues > 1, DUT_IF + " has " + queues + " RX queues");
        // UDP hashed on ports as well as addresses (igb's default is addresses only), so the flows spread
        NetNs.run("ethtool", "-N", DUT_IF, "rx-flow-hash", "udp4", "sdfn");
        final XskConfig config = XskConfig.defaults().withRings(2048, 0, 2048, 64)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(ZeroCopyRxTest.umemFor(DUT_IF));
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            program.tables().steerAll(true);
            final long[][] spread = receive(sockets, umem);
            long[] perQueue = new long[queues];
            for (int flow = 0; flow < FLOWS; flow++)
            {
                final long[] flowQueues = spread[flow];
                assertEquals(1, Arrays.stream(flowQueues).filter((count) -> count > 0).count(),
                    "flow " + flow + " on one queue: " + Arrays.toString(flowQueues));
                assertEquals(FRAMES / FLOWS, Arrays.stream(flowQueues).sum(), "flow " + flow + "'s every frame");
                for (int q = 0; q < queues; q++)
                {
                    perQueue[q] += flowQueues[q];
                }
            }
            final long[] used = perQueue;
            assertTrue(Arrays.stream(used).allMatch((count) -> count > 0), "every queue has flows: " +
                Arrays.toString(used));

            // the indirection table sends every hash to the last queue
            final String[] weights = new String[queues];
            Arrays.fill(weights, "0");
            weights[queues - 1] = "1";
            final String[] command = new String[4 + queues];
            System.arraycopy(new String[] { "ethtool", "-X", DUT_IF, "weight" }, 0, command, 0, 4);
            System.arraycopy(weights, 0, command, 4, queues);
            NetNs.run(command);
            final long[][] steered = receive(sockets, umem);
            perQueue = new long[queues];
            for (final long[] flowQueues : steered)
            {
                for (int q = 0; q < queues; q++)
                {
                    perQueue[q] += flowQueues[q];
                }
            }
            assertEquals(FRAMES, perQueue[queues - 1], "every frame on the queue the table names: " +
                Arrays.toString(perQueue));
            assertEquals(2L * FRAMES, program.counter(io.sluice.xsk.xdp.XdpCounter.REDIRECT).packets());
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
        finally
        {
            NetNs.run("ethtool", "-X", DUT_IF, "default");
            NetNs.run("ethtool", "-N", DUT_IF, "rx-flow-hash", "udp4", "sd");
        }
    }

    /**
     * Offer {@link #FRAMES} over {@link #FLOWS} flows and receive them all.
     *
     * @return frames per flow per queue.
     */
    private static long[][] receive(final DutSockets sockets, final Umem umem)
    {
        final MemorySegment memory = umem.memory();
        final long[][] spread = new long[FLOWS][sockets.sockets().length];
        final long[] perQueue = new long[sockets.sockets().length];
        final long[] strangers = new long[1];
        final int[] flowOfPort = new int[1 << 16];
        Arrays.fill(flowOfPort, -1);
        for (int flow = 0; flow < FLOWS; flow++)
        {
            flowOfPort[LabGuest.flowPort(flow)] = flow;
        }
        final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(
            () -> LabGuest.offer(FRAMES, RATE_PPS, FLOWS));
        final long received = sockets.receiveAndRefill(FRAMES, perQueue, (queue, address, length) ->
        {
            final int port = ((memory.get(JAVA_BYTE, address + SRC_PORT_OFFSET) & 0xFF) << 8) |
                (memory.get(JAVA_BYTE, address + SRC_PORT_OFFSET + 1) & 0xFF);
            final int flow = flowOfPort[port];
            if (flow >= 0)
            {
                spread[flow][queue]++;
            }
            else
            {
                strangers[0]++;
            }
        }, STALL_TIMEOUT_NS, () -> offered.isCompletedExceptionally() ? 1 : 0);
        assertEquals(FRAMES, offered.join(), "offered");
        assertEquals(FRAMES, received, "received; per queue " + Arrays.toString(perQueue));
        assertEquals(0, strangers[0], "frames from no offered flow");

        return spread;
    }
}
