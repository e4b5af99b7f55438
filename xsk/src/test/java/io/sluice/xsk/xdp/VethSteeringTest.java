package io.sluice.xsk.xdp;

import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

import static io.sluice.xsk.xdp.FlowRule.Action.DROP;
import static io.sluice.xsk.xdp.FlowRule.Action.STEER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The program on a real veth pair between two namespaces: traffic it does not choose reaches the kernel's UDP
 * sockets untouched, steering without a socket passes, drops drop, and detaching leaves nothing behind.
 */
class VethSteeringTest
{
    private static final String TX_IF = "sl0";
    private static final String RX_IF = "sl1";
    private static final String TX_ADDR = "10.211.0.1";
    private static final String RX_ADDR = "10.211.0.2";
    private static final int PAYLOAD_BYTES = 64;
    private static final int FRAME_BYTES = 14 + 20 + 8 + PAYLOAD_BYTES;

    @Test
    void shouldPassUnchosenTrafficToTheKernelAndLeaveNothingAttached() throws Exception
    {
        Privileged.require("XDP on a veth pair in network namespaces");
        try (NetNs tx = NetNs.create("vtx"); NetNs rx = NetNs.create("vrx"))
        {
            NetNs.veth(tx, TX_IF, TX_ADDR + "/24", rx, RX_IF, RX_ADDR + "/24");
            tx.ip("neigh", "replace", RX_ADDR, "lladdr", rx.mac(RX_IF), "dev", TX_IF, "nud", "permanent");

            final SteeringProgram program = rx.call(() -> SteeringProgram.open().attach(RX_IF, XdpMode.NATIVE));
            try (DatagramChannel sender = tx.call(DatagramChannel::open);
                DatagramChannel open = rx.call(() -> bound(5555));
                DatagramChannel dropped = rx.call(() -> bound(5556)))
            {
                assertEquals(SteeringProgram.Attachment.LINK, program.attachment());
                assertTrue(rx.ip("link", "show", "dev", RX_IF).contains("prog/xdp"), "attached");
                assertEquals(SteeringProgram.PROGRAM_NAME, rx.call(() -> SteeringProgram.attachedProgramName(RX_IF)));

                send(sender, 5555, 50);
                assertEquals(50, receive(open, 50));
                assertOutcome(program, XdpCounter.PASS_NO_MATCH, 50);

                program.tables().add(FlowRule.of(1, STEER).withProtocol(IpProtocols.UDP)
                    .withDestination(RX_ADDR).withDstPort(5555));
                send(sender, 5555, 20);
                assertEquals(20, receive(open, 20));
                assertOutcome(program, XdpCounter.PASS_NO_SOCKET, 20);
                assertEquals(new Stat(20, 20L * FRAME_BYTES), program.tables().ruleStat(1));

                program.tables().add(FlowRule.of(2, DROP).withProtocol(IpProtocols.UDP).withDstPort(5556));
                send(sender, 5556, 10);
                assertEquals(0, receive(dropped, 1));
                assertOutcome(program, XdpCounter.DROP_RULE, 10);
                assertEquals(new Stat(10, 10L * FRAME_BYTES), program.tables().ruleStat(2));

                long total = 0;
                for (final XdpCounter counter : XdpCounter.values())
                {
                    total += counter.isOutcome() ? program.counter(counter).packets() : 0;
                }
                assertEquals(80, total, "every frame counted in exactly one outcome");

                program.close();
                assertFalse(rx.ip("link", "show", "dev", RX_IF).contains("xdp"), "nothing left attached");
                send(sender, 5556, 3);
                assertEquals(3, receive(dropped, 3), "the kernel path is intact after detaching");
            }
            finally
            {
                program.close();
            }
        }
    }

    private static DatagramChannel bound(final int port) throws Exception
    {
        final DatagramChannel channel = DatagramChannel.open().bind(new InetSocketAddress(RX_ADDR, port));
        channel.socket().setSoTimeout((int)TimeUnit.SECONDS.toMillis(1));
        return channel;
    }

    private static void send(final DatagramChannel sender, final int port, final int count) throws Exception
    {
        final InetSocketAddress target = new InetSocketAddress(RX_ADDR, port);
        for (int i = 0; i < count; i++)
        {
            sender.send(ByteBuffer.allocate(PAYLOAD_BYTES), target);
        }
    }

    private static int receive(final DatagramChannel channel, final int expected) throws Exception
    {
        int received = 0;
        final java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[2048], 2048);
        try
        {
            while (received < expected)
            {
                channel.socket().receive(packet);
                received++;
            }
            // anything beyond what was expected would be a duplicate: wait briefly to see it
            channel.socket().setSoTimeout(200);
            channel.socket().receive(packet);
            received++;
        }
        catch (final SocketTimeoutException ignore)
        {
            // all that arrived has been counted
        }
        finally
        {
            channel.socket().setSoTimeout((int)TimeUnit.SECONDS.toMillis(1));
        }

        return received;
    }

    private static void assertOutcome(final SteeringProgram program, final XdpCounter counter, final long packets)
    {
        assertEquals(new Stat(packets, packets * FRAME_BYTES), program.counter(counter), counter.description());
    }
}
