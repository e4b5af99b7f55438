package io.sluice.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.perf.SluiceProcess;
import io.sluice.xsk.ffi.Errno;
import io.sluice.xsk.ffi.NativeException;
import io.sluice.xsk.netlink.NetdevFamily;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.socket.ZeroCopyPolicy;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.umem.FrameOwnership;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.lab.LabGuest.DUT_IF;
import static io.sluice.lab.LabGuest.DUT_MAC;
import static io.sluice.lab.LabGuest.GEN_IF;
import static io.sluice.lab.LabGuest.GEN_NS;
import static io.sluice.lab.LabGuest.OFFERED_FRAME_BYTES;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-buffer AF_XDP ({@code XDP_USE_SG}) on the lab's NICs, whose zero-copy takes one buffer per packet in Linux
 * 6.18 ({@code xdp-zc-max-segs} 1): a zero-copy bind that asks for it is refused with the driver and the kernel's
 * limit named; {@code zero_copy: prefer} binds in copy mode instead, where virtio_net (which has {@code rx-sg})
 * hands jumbo frames over whole as chains of UMEM frames; igb has no {@code rx-sg} and refuses a jumbo MTU under
 * XDP, as the doctor says beforehand.
 */
@Tag("lab")
class ZeroCopyMultiBufferTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FILL_RING = 2048;
    private static final int RX_RING = 2048;
    private static final int JUMBO_MTU = 9000;
    /**
     * Frame sizes offered in turn: one buffer, one full buffer, a chain of three and the largest at MTU 9000.
     */
    private static final int[] SIZES = { OFFERED_FRAME_BYTES, 1514, 4000, JUMBO_MTU + 14 };
    private static final int FRAMES = 400;
    private static final int SMALL_FRAMES = 2_000;
    private static final int RATE_PPS = 1_000;
    private static final int UDP_PAYLOAD_OFFSET = 42;
    private static final long STALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @Test
    void shouldRefuseAZeroCopyMultiBufferBindNamingTheDriverAndTheKernelsLimitAndLeaveTheQueueFree()
    {
        final String driver = LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.REQUIRE).withMultiBuffer(true);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(ZeroCopyRxTest.umemFor(DUT_IF)))
        {
            assertEquals(1, NetdevFamily.xdpFeatures(DUT_IF).zcMaxSegs());

            final NativeException refused = assertThrows(NativeException.class,
                () -> XskSocket.open(umem, DUT_IF, 0, config).close());

            final String message = refused.getMessage();
            assertEquals(Errno.EOPNOTSUPP, refused.errno(), message);
            assertTrue(message.contains("bind(AF_XDP, XDP_ZEROCOPY, XDP_USE_SG) on " + DUT_IF), message);
            assertTrue(message.contains("driver " + driver + " has AF_XDP zero-copy but not multi-buffer in " +
                "zero-copy"), message);
            assertTrue(message.contains("the kernel reports xdp-zc-max-segs 1"), message);
            assertTrue(message.contains("set zero_copy: prefer or copy"), message);
            assertEquals(new FrameOwnership(umem.frameCount(), 0, 0, 0, umem.frameCount()), umem.ownership(),
                "the refused socket gave back what it took");

            // the refusal left nothing bound: the same queue binds in zero-copy straight after, one buffer a packet
            try (XskSocket socket = XskSocket.open(umem, DUT_IF, 0, config.withMultiBuffer(false)))
            {
                assertEquals("zero-copy", socket.mode(), socket.toString());
                assertFalse(socket.multiBuffer());
            }
        }
    }

    @Test
    void shouldBindInCopyModeWithMultiBufferWhenZeroCopyIsPreferredAndReceiveEveryFrameAsOneBufferPacket()
    {
        LabGuest.require();
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.PREFER).withMultiBuffer(true);
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(ZeroCopyRxTest.umemFor(DUT_IF));
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            for (final XskSocket socket : sockets.sockets())
            {
                assertEquals("copy", socket.mode(), "the kernel fell back to copy mode: " + socket);
                assertTrue(socket.multiBuffer(), socket.toString());
            }
            program.tables().steerAll(true);

            final long[] bytes = new long[1];
            final long received = receiveOffered(sockets, SMALL_FRAMES, bytes, OFFERED_FRAME_BYTES);

            assertEquals(SMALL_FRAMES, received, ZeroCopyRxTest.where(program, sockets));
            assertEquals((long)SMALL_FRAMES * OFFERED_FRAME_BYTES, bytes[0]);
            assertEquals(SMALL_FRAMES, program.counter(XdpCounter.REDIRECT).packets());
            long multi = 0;
            for (final XskSocket socket : sockets.sockets())
            {
                multi += socket.counter(XskCounter.RX_MULTI_BUFFER_PACKETS);
            }
            assertEquals(0, multi, "a 60-byte frame is one buffer");
            assertEquals(0, sockets.statistics().rxDropped() + sockets.statistics().rxRingFull(),
                sockets.statistics().toString());
        }
    }

    /**
     * virtio_net at MTU 9000 with the steering program ({@code xdp.frags}) in copy mode: 60 to 9014-byte frames
     * each arrive whole, as {@code ceil(size / room)} UMEM frames, byte for byte as sent. igb has no {@code rx-sg}:
     * with an XDP program attached it refuses the MTU.
     */
    @Test
    void shouldReceiveJumboFramesWholeAsChainsInCopyModeOnVirtioNetWhileIgbRefusesTheMtuUnderXdp()
    {
        final String driver = LabGuest.require();
        final String dutMtu = NetNs.run("cat", "/sys/class/net/" + DUT_IF + "/mtu").strip();
        final String genMtu = NetNs.run("ip", "netns", "exec", GEN_NS, "cat", "/sys/class/net/" + GEN_IF + "/mtu")
            .strip();
        try
        {
            if ("igb".equals(driver))
            {
                assertFalse(NetdevFamily.xdpFeatures(DUT_IF).rxSg(), "igb builds no multi-buffer XDP packets");
                try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE))
                {
                    final IllegalStateException refused = assertThrows(IllegalStateException.class,
                        () -> NetNs.run("ip", "link", "set", "dev", DUT_IF, "mtu", Integer.toString(JUMBO_MTU)));
                    // igb_change_mtu: "Requested MTU size is not supported with XDP" in the kernel log, EINVAL
                    assertTrue(refused.getMessage().contains("Invalid argument"), refused.getMessage());
                }
                return;
            }

            NetNs.run("ip", "netns", "exec", GEN_NS, "ip", "link", "set", "dev", GEN_IF, "mtu",
                Integer.toString(JUMBO_MTU));
            NetNs.run("ip", "link", "set", "dev", DUT_IF, "mtu", Integer.toString(JUMBO_MTU));
            receiveJumboFrames();
        }
        finally
        {
            NetNs.run("ip", "link", "set", "dev", DUT_IF, "mtu", dutMtu);
            NetNs.run("ip", "netns", "exec", GEN_NS, "ip", "link", "set", "dev", GEN_IF, "mtu", genMtu);
        }
    }

    /**
     * The doctor on the shipped profile at MTU 9000 with {@code multi_buffer: on}: on virtio_net it passes with
     * {@code zero_copy: prefer} and fails with {@code require}, naming {@code xdp-zc-max-segs}; on igb it fails
     * either way, naming the missing {@code rx-sg}.
     */
    @ParameterizedTest(name = "zero_copy: {0}")
    @ValueSource(strings = { "prefer", "require" })
    void shouldHaveTheDoctorSayWhetherTheNicCanCarryAJumboMtu(final String policy) throws Exception
    {
        final String driver = LabGuest.require();
        final Path shipped = SluiceProcess.sluiceHome().resolve("nic-profiles").resolve(driver + ".yaml");
        final Path profile = Files.createTempFile("jumbo", ".yaml");
        final Path out = Files.createTempFile("doctor", ".json");
        try
        {
            final StringBuilder text = new StringBuilder();
            for (final String line : Files.readAllLines(shipped))
            {
                text.append(line.startsWith("zero_copy:") ? "zero_copy: " + policy : line).append('\n');
            }
            Files.writeString(profile, text.append("mtu: ").append(JUMBO_MTU).append("\nmulti_buffer: on\n"));
            final Process doctor = new ProcessBuilder(SluiceProcess.sluiceHome().resolve("sluice").toString(),
                "doctor", "--iface", DUT_IF, "--profile", profile.toString(), "--json")
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertTrue(doctor.waitFor(300, TimeUnit.SECONDS), "./sluice doctor finished");
            final String report = Files.readString(out);
            assertEquals(0, doctor.exitValue() & ~1, "./sluice doctor exits 0 or 1 (a check failed): " + report);
            final JsonNode check = check(JSON.readTree(report), "multi_buffer");
            final String detail = check.get("detail").asText();

            if ("igb".equals(driver))
            {
                assertEquals("fail", check.get("status").asText(), report);
                assertTrue(detail.contains("the kernel reports no rx-sg for " + DUT_IF + " (driver igb)"), detail);
            }
            else if ("require".equals(policy))
            {
                assertEquals("fail", check.get("status").asText(), report);
                assertTrue(detail.contains("with zero_copy: require, but the kernel reports xdp-zc-max-segs 1 for " +
                    DUT_IF + " (driver virtio_net)"), detail);
            }
            else
            {
                assertEquals("pass", check.get("status").asText(), report);
                assertTrue(detail.contains("MTU 9000 spans up to 3 frames of 3840 bytes; rx-sg set for " + DUT_IF +
                    " (driver virtio_net); xdp-zc-max-segs 1"), detail);
            }
        }
        finally
        {
            Files.deleteIfExists(profile);
            Files.deleteIfExists(out);
        }
    }

    private static void receiveJumboFrames()
    {
        final XskConfig config = XskConfig.defaults().withRings(RX_RING, 0, FILL_RING, 64)
            .withZeroCopy(ZeroCopyPolicy.PREFER).withMultiBuffer(true);
        final UmemConfig umemConfig = ZeroCopyRxTest.umemFor(DUT_IF);
        final int room = umemConfig.packetRoomBytes();
        try (SteeringProgram program = SteeringProgram.open().attach(DUT_IF, XdpMode.NATIVE);
            Umem umem = Umem.create(umemConfig);
            DutSockets sockets = DutSockets.open(umem, DUT_IF, config, program))
        {
            final XskSocket socket = sockets.first();
            assertEquals("copy", socket.mode(), socket.toString());
            program.tables().steerAll(true);
            final FrameOwnership idle = new FrameOwnership(umem.frameCount() - FILL_RING, FILL_RING, 0, 0,
                umem.frameCount());
            final int[] chains = new int[SIZES.length];
            for (int i = 0; i < SIZES.length; i++)
            {
                chains[i] = (SIZES[i] + room - 1) / room;
            }
            final MemorySegment memory = umem.memory();
            final long[] seen = new long[1];
            final long[] bytes = new long[1];

            final long received = receiveOffered(sockets, FRAMES, (queue, addresses, lengths, first, buffers) ->
            {
                final int k = (int)seen[0]++;
                final int size = SIZES[k % SIZES.length];
                assertEquals(chains[k % SIZES.length], buffers, "packet " + k + " of " + size + " bytes");
                int offset = 0;
                for (int b = first; b < first + buffers; b++)
                {
                    for (int i = 0; i < lengths[b]; i++, offset++)
                    {
                        final byte actual = memory.get(JAVA_BYTE, addresses[b] + i);
                        if (offset >= UDP_PAYLOAD_OFFSET && (byte)(offset - UDP_PAYLOAD_OFFSET) != actual)
                        {
                            throw new AssertionError("packet " + k + " of " + size + " bytes, byte " + offset +
                                " (buffer " + (b - first) + " of " + buffers + "): " + actual);
                        }
                    }
                }
                assertEquals(size, offset, "packet " + k + ": its buffers' lengths add up to the frame");
                bytes[0] += offset;
            }, SIZES);

            long offeredBytes = 0;
            long multi = 0;
            for (int k = 0; k < FRAMES; k++)
            {
                offeredBytes += SIZES[k % SIZES.length];
                multi += chains[k % SIZES.length] > 1 ? 1 : 0;
            }
            assertEquals(FRAMES, received, ZeroCopyRxTest.where(program, sockets) + ", " +
                LabGuest.nicStatistics(null, DUT_IF));
            assertEquals(offeredBytes, bytes[0]);
            assertEquals(FRAMES, program.counter(XdpCounter.REDIRECT).packets());
            assertEquals(offeredBytes, program.counter(XdpCounter.REDIRECT).bytes(),
                "XDP counts a packet's bytes over all its buffers");
            assertEquals(multi, socket.counter(XskCounter.RX_MULTI_BUFFER_PACKETS));
            assertEquals(0, socket.counter(XskCounter.RX_CHAINS_CUT));
            assertEquals(0, sockets.statistics().rxDropped() + sockets.statistics().rxRingFull(),
                sockets.statistics().toString());
            assertEquals(idle, umem.ownership(), "every buffer of every chain back on the fill ring or in the pool");
            assertEquals(0, umem.tracker().violations(), umem.tracker().firstViolation());
        }
    }

    private static long receiveOffered(
        final DutSockets sockets, final int frames, final long[] bytes, final int size)
    {
        return receiveOffered(sockets, frames, (queue, addresses, lengths, first, buffers) ->
        {
            assertEquals(1, buffers);
            assertEquals(size, lengths[first]);
            bytes[0] += lengths[first];
        }, size);
    }

    private static long receiveOffered(
        final DutSockets sockets, final int frames, final DutSockets.PacketCheck check, final int... sizes)
    {
        final CompletableFuture<Long> offered = CompletableFuture.supplyAsync(
            () -> LabGuest.offer(frames, RATE_PPS, 1, sizes));
        final long received = sockets.receivePacketsAndRefill(frames, new long[sockets.sockets().length], check,
            STALL_TIMEOUT_NS, () -> offered.isCompletedExceptionally() ? 1 : 0);
        assertEquals(frames, offered.join(), "offered");

        return received;
    }

    private static JsonNode check(final JsonNode report, final String name)
    {
        assertTrue(report.has("checks"), "the doctor's report: " + report);
        for (final JsonNode check : report.get("checks"))
        {
            if (name.equals(check.get("check").asText()))
            {
                return check;
            }
        }

        throw new AssertionError("no check " + name + " in " + report);
    }
}
