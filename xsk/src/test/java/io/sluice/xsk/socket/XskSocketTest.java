package io.sluice.xsk.socket;

import io.sluice.xsk.ffi.LibC;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.umem.FrameOwnership;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AF_XDP sockets on a real veth pair between two namespaces: the kernel's UDP stack in one sends, Sluice's socket in
 * the other receives what the steering program redirects to it, sends it back, and accounts for every frame.
 */
class XskSocketTest
{
    private static final String TX_IF = "xk0";
    private static final String RX_IF = "xk1";
    private static final String TX_ADDR = "10.212.0.1";
    private static final String RX_ADDR = "10.212.0.2";
    private static final int STEERED_PORT = 7000;
    private static final int SENDER_PORT = 7100;
    private static final int PAYLOAD_BYTES = 32;
    private static final int FRAME_BYTES = 14 + 20 + 8 + PAYLOAD_BYTES;
    private static final int BATCH = 64;
    private static final long TIMEOUT_NS = 20_000_000_000L;

    private NetNs txNs;
    private NetNs rxNs;
    private SteeringProgram rxProgram;

    @BeforeEach
    void setUp() throws Exception
    {
        Privileged.require("AF_XDP sockets on a veth pair in network namespaces");
        txNs = NetNs.create("xktx");
        rxNs = NetNs.create("xkrx");
        NetNs.veth(txNs, TX_IF, TX_ADDR + "/24", rxNs, RX_IF, RX_ADDR + "/24");
        txNs.ip("neigh", "replace", RX_ADDR, "lladdr", rxNs.mac(RX_IF), "dev", TX_IF, "nud", "permanent");
        rxNs.ip("neigh", "replace", TX_ADDR, "lladdr", txNs.mac(TX_IF), "dev", RX_IF, "nud", "permanent");
        // veth passes locally sent UDP with a partial checksum (CHECKSUM_PARTIAL) unless offload is off; a NIC puts
        // a complete one on the wire, so make the sender do that
        txNs.exec("ethtool", "-K", TX_IF, "tx", "off");
        rxProgram = rxNs.call(() -> SteeringProgram.open().attach(RX_IF, XdpMode.NATIVE));
        rxProgram.tables().add(FlowRule.of(1, FlowRule.Action.STEER).withProtocol(IpProtocols.UDP)
            .withDestination(RX_ADDR).withDstPort(STEERED_PORT));
    }

    @AfterEach
    void tearDown()
    {
        if (null != rxProgram)
        {
            rxProgram.close();
        }
        if (null != rxNs)
        {
            rxNs.close();
        }
        if (null != txNs)
        {
            txNs.close();
        }
    }

    @Test
    void shouldReceiveEverySteeredFrameAndReturnEveryFrameToTheFillRing() throws Exception
    {
        final int count = 20_000;
        try (Umem umem = Umem.create(UmemConfig.defaults().withFrameSize(2048).withFrameTracking(true));
            XskSocket socket = rxNs.call(() -> XskSocket.open(umem, RX_IF, 0, XskConfig.defaults()));
            DatagramChannel sender = txNs.call(() -> bound(SENDER_PORT));
            DatagramChannel other = rxNs.call(() -> bound(STEERED_PORT + 1)))
        {
            socket.registerWith(rxProgram);
            assertEquals(new FrameOwnership(8192 - 4096, 4096, 0, 0, 8192), umem.ownership(), "fill ring full");
            assertFalse(socket.zeroCopy());

            final long[] addresses = new long[BATCH];
            final int[] lengths = new int[BATCH];
            int received = 0;
            int sent = 0;
            int kernelReceived = 0;
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (received < count && System.nanoTime() < deadlineNs)
            {
                if (sent < count && sent - received < 1024)
                {
                    send(sender, STEERED_PORT, sent++);
                    if (0 == sent % 10)
                    {
                        send(sender, STEERED_PORT + 1, -1); // unsteered: for the kernel's socket
                    }
                }
                final int n = socket.receive(addresses, lengths, 0, BATCH);
                for (int i = 0; i < n; i++)
                {
                    assertEquals(FRAME_BYTES, lengths[i]);
                    final MemorySegment frame = umem.memory().asSlice(addresses[i], lengths[i]);
                    assertEquals(received + i, frame.get(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN),
                        14 + 20 + 8), "frames arrive in order");
                }
                received += n;
                assertEquals(n, Refill.all(socket, addresses, n));
                kernelReceived += drainNow(other);
            }

            assertEquals(count, received);
            assertEquals(count / 10, kernelReceived + drain(other), "unsteered frames reach the kernel's socket");
            assertEquals(0, socket.statistics().rxLost());
            assertEquals(count, socket.counter(XskCounter.RX_FRAMES));
            assertEquals(count, rxProgram.counter(XdpCounter.REDIRECT).packets());
            assertEquals(new FrameOwnership(8192 - 4096, 4096, 0, 0, 8192), umem.ownership(),
                "every frame back on the fill ring or in the pool");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    @Test
    void shouldSendReceivedFramesBackAndCountExactlyWhatCompleted() throws Exception
    {
        sendReceivedFramesBack(XskConfig.defaults());
    }

    /**
     * Bound without need_wakeup (the igb profile's answer to igb's split interrupt vectors), the TX ring's flag means
     * nothing, yet copy mode (and a zero-copy driver whose TX is idle) sends only when kicked. This kernel leaves the
     * flag set from bind, which Sluice does not count on: it kicks after every batch.
     */
    @Test
    void shouldSendReceivedFramesBackWhenBoundWithoutNeedWakeup() throws Exception
    {
        sendReceivedFramesBack(XskConfig.defaults().withNeedWakeup(false));
    }

    private void sendReceivedFramesBack(final XskConfig config) throws Exception
    {
        final int count = 5_000;
        final SteeringProgram txProgram = txNs.call(() -> SteeringProgram.open().attach(TX_IF, XdpMode.NATIVE));
        try (Umem umem = Umem.create(UmemConfig.defaults().withFrameSize(2048).withFrameTracking(true));
            XskSocket socket = rxNs.call(() -> XskSocket.open(umem, RX_IF, 0, config));
            DatagramChannel sender = txNs.call(() -> bound(SENDER_PORT)))
        {
            socket.registerWith(rxProgram);
            final long[] addresses = new long[BATCH];
            final int[] lengths = new int[BATCH];
            int sent = 0;
            long echoed = 0;
            long completed = 0;
            final ByteBuffer echo = ByteBuffer.allocate(2048);
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while ((completed < count || echoed < count) && System.nanoTime() < deadlineNs)
            {
                if (sent < count && sent - completed < 512)
                {
                    send(sender, STEERED_PORT, sent++);
                }
                final int n = socket.receive(addresses, lengths, 0, BATCH);
                for (int i = 0; i < n; i++)
                {
                    reflect(umem.memory().asSlice(addresses[i], lengths[i]));
                }
                int placed = 0;
                while (placed < n)
                {
                    placed += socket.transmit(addresses, lengths, placed, n - placed);
                    completed += socket.completeToFill(BATCH);
                }
                completed += socket.completeToFill(BATCH);
                socket.flushTx();
                echo.clear();
                while (null != sender.receive(echo))
                {
                    assertEquals(PAYLOAD_BYTES, echo.position());
                    echoed++;
                    echo.clear();
                }
            }

            assertEquals(count, completed, "completions");
            assertEquals(count, echoed, "the sender's UDP socket got every reflected frame back");
            long seenByTxXdp = 0;
            for (final XdpCounter counter : XdpCounter.values())
            {
                seenByTxXdp += counter.isOutcome() ? txProgram.counter(counter).packets() : 0;
            }
            assertEquals(completed, seenByTxXdp, "the sender's interface saw exactly the completed frames");
            assertEquals(count, socket.counter(XskCounter.TX_FRAMES));
            assertEquals(0, socket.statistics().txInvalidDescs());
            assertEquals(new FrameOwnership(8192 - 4096, 4096, 0, 0, 8192), umem.ownership());
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
        finally
        {
            txProgram.close();
        }
    }

    @Test
    void shouldFailToRequireZeroCopyOnVethNamingTheDriverAndTheSetting() throws Exception
    {
        try (Umem umem = Umem.create(UmemConfig.defaults()))
        {
            final NativeException ex = assertThrows(NativeException.class, () -> rxNs.call(() -> XskSocket.open(
                umem, RX_IF, 0, XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.REQUIRE)
                    .withProfileSource("nic-profiles/veth.yaml"))));
            assertTrue(ex.getMessage().startsWith("bind(AF_XDP, XDP_ZEROCOPY) on " + RX_IF + " queue 0: "),
                ex.getMessage());
            assertTrue(ex.getMessage().contains("driver veth does not support AF_XDP zero-copy"), ex.getMessage());
            assertTrue(ex.getMessage().endsWith("set zero_copy: prefer or zero_copy: copy in " +
                "nic-profiles/veth.yaml; the kernel reports xdp-features basic,redirect,rx-sg (no xsk-zerocopy)"),
                ex.getMessage());
            assertEquals(new FrameOwnership(umem.frameCount(), 0, 0, 0, umem.frameCount()), umem.ownership(),
                "a failed bind takes no frames");

            try (XskSocket copy = rxNs.call(() -> XskSocket.open(
                umem, RX_IF, 0, XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.COPY))))
            {
                assertFalse(copy.zeroCopy());
                assertEquals("copy", copy.mode());
                assertEquals("veth", copy.driver());
            }
        }
    }

    @Test
    void shouldFallBackToCopyModeWithOneWarningWhenZeroCopyIsPreferred() throws Exception
    {
        final List<String> warnings = new ArrayList<>();
        final Logger logger = Logger.getLogger(XskSocket.class.getName());
        final Handler handler = new Handler()
        {
            public void publish(final LogRecord record)
            {
                warnings.add(record.getMessage());
            }

            public void flush()
            {
            }

            public void close()
            {
            }
        };
        logger.addHandler(handler);
        try (Umem umem = Umem.create(UmemConfig.defaults());
            XskSocket socket = rxNs.call(() -> XskSocket.open(umem, RX_IF, 0,
                XskConfig.defaults().withZeroCopy(ZeroCopyPolicy.PREFER))))
        {
            assertFalse(socket.zeroCopy());
            assertEquals("copy", socket.mode());
            assertEquals(1, warnings.size(), warnings::toString);
            assertTrue(warnings.get(0).contains(RX_IF + " queue 0: driver veth gave no AF_XDP zero-copy, running in " +
                "copy mode (zero_copy: prefer)"), warnings::toString);
        }
        finally
        {
            logger.removeHandler(handler);
        }
    }

    @Test
    void shouldSetBusyPollOptionsAsConfigured() throws Exception
    {
        try (Umem umem = Umem.create(UmemConfig.defaults());
            XskSocket socket = rxNs.call(() -> XskSocket.open(umem, RX_IF, 0,
                XskConfig.defaults().withBusyPoll(new BusyPoll(true, 20, 64)))))
        {
            assertEquals(1, socket.intOption(LibC.SOL_SOCKET, LibC.SO_PREFER_BUSY_POLL));
            assertEquals(20, socket.intOption(LibC.SOL_SOCKET, LibC.SO_BUSY_POLL));
            // the kernel has no getsockopt for SO_BUSY_POLL_BUDGET; setting it succeeded or open would have thrown
        }
        try (Umem umem = Umem.create(UmemConfig.defaults());
            XskSocket socket = rxNs.call(() -> XskSocket.open(umem, RX_IF, 0, XskConfig.defaults())))
        {
            assertEquals(0, socket.intOption(LibC.SOL_SOCKET, LibC.SO_PREFER_BUSY_POLL));
            assertEquals(0, socket.intOption(LibC.SOL_SOCKET, LibC.SO_BUSY_POLL));
        }
    }

    @Test
    void shouldReportABusyQueueAfterRetryingAndRebindOnceItIsFree() throws Exception
    {
        try (Umem first = Umem.create(UmemConfig.defaults()); Umem second = Umem.create(UmemConfig.defaults()))
        {
            final XskSocket holder = rxNs.call(() -> XskSocket.open(first, RX_IF, 0, XskConfig.defaults()));
            final long startNs = System.nanoTime();
            final NativeException ex = assertThrows(NativeException.class, () -> rxNs.call(() -> XskSocket.open(
                second, RX_IF, 0, XskConfig.defaults().withBindRetryMs(200))));
            assertTrue(System.nanoTime() - startNs >= 200_000_000L, "retried for the configured time");
            assertTrue(ex.getMessage().contains("EBUSY"), ex.getMessage());
            assertTrue(ex.getMessage().contains("another AF_XDP socket is bound to " + RX_IF + " queue 0"),
                ex.getMessage());

            holder.close();
            first.close();
            // the queue is released by the kernel asynchronously; the default retry rides it out
            try (XskSocket rebound = rxNs.call(() -> XskSocket.open(second, RX_IF, 0, XskConfig.defaults())))
            {
                assertEquals(0, rebound.queue());
            }
        }
    }

    @Test
    void shouldRefuseASocketWhoseFillRingTheUmemCannotFill() throws Exception
    {
        try (Umem umem = Umem.create(UmemConfig.defaults().withFrameCount(1024)))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> rxNs.call(
                () -> XskSocket.open(umem, RX_IF, 0, XskConfig.defaults())));
            assertEquals(RX_IF + " queue 0: the UMEM has 1024 free frames but the fill ring needs 4096; raise the " +
                "UMEM's frame count or lower fill_ring_size", ex.getMessage());
        }
    }

    /**
     * Swap MACs, IPv4 addresses and UDP ports in place: checksums are unchanged by the swaps.
     */
    static void reflect(final MemorySegment frame)
    {
        swap(frame, 0, 6, 6);
        swap(frame, 14 + 12, 14 + 16, 4);
        swap(frame, 14 + 20, 14 + 22, 2);
    }

    private static void swap(final MemorySegment frame, final long a, final long b, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            final byte x = frame.get(JAVA_BYTE, a + i);
            frame.set(JAVA_BYTE, a + i, frame.get(JAVA_BYTE, b + i));
            frame.set(JAVA_BYTE, b + i, x);
        }
    }

    private static DatagramChannel bound(final int port) throws Exception
    {
        final DatagramChannel channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress(port));
        channel.configureBlocking(false);
        return channel;
    }

    private static void send(final DatagramChannel sender, final int port, final int sequence) throws Exception
    {
        final ByteBuffer payload = ByteBuffer.allocate(PAYLOAD_BYTES);
        payload.putInt(0, sequence);
        while (0 == sender.send(payload, new InetSocketAddress(RX_ADDR, port)))
        {
            Thread.onSpinWait();
        }
    }

    private static int drain(final DatagramChannel channel) throws Exception
    {
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        int count = 0;
        final long deadlineNs = System.nanoTime() + 2_000_000_000L;
        int idle = 0;
        while (System.nanoTime() < deadlineNs && idle < 200)
        {
            buffer.clear();
            if (null == channel.receive(buffer))
            {
                idle++;
                Thread.sleep(1);
            }
            else
            {
                idle = 0;
                count++;
            }
        }
        return count;
    }

    private static int drainNow(final DatagramChannel channel) throws Exception
    {
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        int count = 0;
        while (null != channel.receive(buffer))
        {
            buffer.clear();
            count++;
        }
        return count;
    }

}
