package io.sluice.xsk.socket;

import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Resources;
import io.sluice.xsk.umem.FramePool;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The transmit path allocates nothing: an AF_XDP socket sends a million frames, as {@code bench txonly} does
 * (completions back to the pool, the pool's frames onto the TX ring, a wake-up for each batch, which on veth in copy
 * mode is a {@code sendto} every time), and the sending thread's allocated bytes do not move once it is warm. Every
 * frame is accounted: what the peer's XDP program saw plus what veth dropped is what completed.
 */
class XskTransmitAllocationTest
{
    private static final String DUT_IF = "xa0";
    private static final String PEER_IF = "xa1";
    private static final int BATCH = 64;
    private static final long WARM_UP_FRAMES = 1_000_000;
    private static final long MEASURED_FRAMES = 1_000_000;

    private final Resources resources = new Resources();

    @AfterEach
    void tearDown() throws Exception
    {
        resources.close();
    }

    @Test
    void shouldSendAMillionFramesWithoutAllocating() throws Exception
    {
        Privileged.require("an AF_XDP socket transmitting on veth in network namespaces");
        final NetNs dut = resources.keep(NetNs.create("xadut"));
        final NetNs peer = resources.keep(NetNs.create("xapeer"));
        NetNs.veth(dut, DUT_IF, "10.214.0.1/24", peer, PEER_IF, "10.214.0.2/24");
        // the peer counts every frame in XDP (no rule: passed, as no_match) and gives veth the NAPI it needs
        final SteeringProgram counter = resources.keep(peer.call(
            () -> SteeringProgram.open().attach(PEER_IF, XdpMode.NATIVE)));
        final Umem umem = resources.keep(Umem.create(UmemConfig.defaults().withFrameSize(2048).withFrameCount(4096)));
        final XskSocket socket = resources.keep(dut.call(() -> XskSocket.open(umem, DUT_IF, 0,
            XskConfig.defaults().withRings(0, 2048, 64, 2048).withPrefill(false))));
        final byte[] frame = Frames.ethernet().macs(peer.mac(PEER_IF), dut.mac(DUT_IF)).ipv4("10.214.0.1", "10.214.0.2")
            .udp(40_000, 9).payload(new byte[18]).build();
        final MemorySegment memory = umem.memory();
        for (int i = 0; i < umem.frameCount(); i++)
        {
            MemorySegment.copy(frame, 0, memory, JAVA_BYTE, (long)i * umem.frameSizeBytes(), frame.length);
        }

        final Sender sender = new Sender(socket, umem.pool(), frame.length, WARM_UP_FRAMES + MEASURED_FRAMES);
        final Thread thread = new Thread(sender, "xsk-tx-allocation");
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(120));
        assertEquals(false, thread.isAlive(), "the sender finished");
        if (null != sender.failure)
        {
            throw new AssertionError(sender.failure);
        }

        final long total = WARM_UP_FRAMES + MEASURED_FRAMES;
        assertEquals(total, sender.completed, "every frame sent completed");
        assertEquals(0, socket.txFrames());
        final long dropped = Long.parseLong(dut.exec("cat", "/sys/class/net/" + DUT_IF + "/statistics/tx_dropped")
            .strip());
        assertEquals(total, counter.counter(XdpCounter.PASS_NO_MATCH).packets() + dropped,
            "the peer's XDP saw every frame veth did not drop");
        assertEquals(0, sender.measuredAllocatedBytes,
            "the transmit path allocated nothing over " + MEASURED_FRAMES + " frames");
    }

    /**
     * {@code bench txonly}'s loop, over one socket, on a thread of its own; its allocated bytes are read by the
     * thread itself at the start and the end of the measured frames.
     */
    private static final class Sender implements Runnable
    {
        private final XskSocket socket;
        private final FramePool pool;
        private final int length;
        private final long frames;
        private long completed;
        private long measuredAllocatedBytes = -1;
        private Throwable failure;

        Sender(final XskSocket socket, final FramePool pool, final int length, final long frames)
        {
            this.socket = socket;
            this.pool = pool;
            this.length = length;
            this.frames = frames;
        }

        @Override
        public void run()
        {
            try
            {
                send();
            }
            catch (final Throwable t)
            {
                failure = t;
            }
        }

        private void send()
        {
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final long[] addresses = new long[BATCH];
            final int[] lengths = new int[BATCH];
            Arrays.fill(lengths, length);
            long submitted = 0;
            long allocatedAtStart = -1;
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
            while (completed < frames && System.nanoTime() - deadlineNs < 0)
            {
                completed += socket.completeToPool(Integer.MAX_VALUE);
                if (allocatedAtStart < 0 && completed >= WARM_UP_FRAMES)
                {
                    allocatedAtStart = threads.getCurrentThreadAllocatedBytes();
                }
                final int n = pool.allocate(addresses, 0, (int)Math.min(BATCH, frames - submitted));
                if (n > 0)
                {
                    final int placed = socket.transmit(addresses, lengths, 0, n);
                    submitted += placed;
                    if (placed < n)
                    {
                        pool.release(addresses, placed, n - placed);
                    }
                }
                socket.flushTx();
            }
            measuredAllocatedBytes = threads.getCurrentThreadAllocatedBytes() - allocatedAtStart;
        }
    }
}
