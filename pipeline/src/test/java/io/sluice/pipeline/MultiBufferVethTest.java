package io.sluice.pipeline;

import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskCounter;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Resources;
import io.sluice.xsk.testing.Transmit;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jumbo frames end to end on veth at MTU 9000, in copy mode with {@code XDP_USE_SG}: frames of 64, 1500, 4000, 8000
 * and 9014 bytes (a full 9000-byte IP packet), mixed in one run, are steered by the frags-aware XDP program,
 * received whole as chains of 4 KiB UMEM frames, reflected byte for byte, forwarded to a third namespace, and
 * counted, every one exactly once, and mirrored whole into the capture; and where multi-buffer is off, a jumbo frame
 * is a counted kernel drop.
 */
class MultiBufferVethTest
{
    private static final String GEN_IF = "mbg0";
    private static final String DUT_IF = "mbd0";
    private static final String OUT_IF = "mbo0";
    private static final String SINK_IF = "mbs0";
    private static final String GEN_ADDR = "10.221.0.1";
    private static final String DUT_ADDR = "10.221.0.2";
    private static final int MTU = 9000;
    private static final int[] SIZES = { 64, 1500, 4000, 8000, MTU + 14 };
    private static final int REFLECT_PORT = 7000;
    private static final int FORWARD_PORT = 7001;
    private static final int COUNT_PORT = 7002;
    private static final int MIRROR_PORT = 7003;
    private static final int PCAP_HEADER_BYTES = 24;
    private static final int PCAP_RECORD_HEADER_BYTES = 16;
    private static final int SOURCE_PORT = 41_000;
    private static final int ROUNDS = 300;
    private static final int BURST = 60;

    private static final String RULES = """
        steer:
          - {name: to-sluice, proto: udp, dst: 10.221.0.2/32, dst_port: 7000-7002, action: steer}
        filter:
          - {name: reflect, proto: udp, dst_port: 7000, action: reflect, swap: [ip, ports]}
          - {name: forward, proto: udp, dst_port: 7001, action: forward, to: mbo0}
          - {name: count, proto: udp, dst_port: 7002, action: count}
        default: drop
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
    void shouldSteerReflectForwardAndCountJumboFramesWholeAndExactly() throws Exception
    {
        Privileged.require("multi-buffer AF_XDP on veth in network namespaces");
        final Hosts hosts = genAndDut();
        final NetNs gen = hosts.gen();
        final NetNs dut = hosts.dut();
        final NetNs sink = keep(NetNs.create("mbsnk"));
        jumboVeth(dut, OUT_IF, "10.222.0.2/24", sink, SINK_IF, "10.222.0.1/24");

        final SteeringProgram sinkProgram = keep(sink.call(() -> SteeringProgram.open().attach(SINK_IF, XdpMode.NATIVE)));
        sinkProgram.tables().add(FlowRule.of(1, FlowRule.Action.DROP));
        final SteeringProgram genProgram = keep(gen.call(() -> SteeringProgram.open().attach(GEN_IF, XdpMode.NATIVE)));
        genProgram.tables().steerAll(true);
        final Umem genUmem = keep(Umem.create(UmemConfig.defaults().withFrameCount(32768)));
        final XskSocket genSocket = keep(gen.call(() -> XskSocket.open(genUmem, GEN_IF, 0,
            XskConfig.defaults().withRings(8192, 2048, 16384, 2048).withMultiBuffer(true))));
        genSocket.registerWith(genProgram);
        assertTrue(genSocket.multiBuffer());

        final PacketProcessor processor = launch(dut, RULES, true);

        // every packet distinct (its sequence number in the source port's place is not needed: the payload is)
        final Random random = new Random(20261207);
        final List<byte[]> packets = new ArrayList<>();
        final Map<String, byte[]> expectedReflections = new ConcurrentHashMap<>();
        final Map<Integer, Integer> multiBufferSizes = new HashMap<>();
        long forwardedBytes = 0;
        int expectedMultiBuffer = 0;
        for (int round = 0; round < ROUNDS; round++)
        {
            for (final int size : SIZES)
            {
                for (final int port : new int[]{ REFLECT_PORT, FORWARD_PORT, COUNT_PORT })
                {
                    final byte[] payload = new byte[size - 42];
                    random.nextBytes(payload);
                    final byte[] frame = hosts.toDut()
                        .udp(SOURCE_PORT + round % 16, port).payload(payload).build();
                    assertEquals(size, frame.length);
                    packets.add(frame);
                    if (REFLECT_PORT == port)
                    {
                        expectedReflections.put(key(payload), reflection(frame));
                        final int room = genUmem.config().packetRoomBytes();
                        final int buffers = (size + room - 1) / room;
                        expectedMultiBuffer += buffers > 1 ? 1 : 0;
                        multiBufferSizes.merge(size, buffers, (a, b) -> b);
                    }
                    else if (FORWARD_PORT == port)
                    {
                        forwardedBytes += size;
                    }
                }
            }
        }

        final Reflections reflections = new Reflections(genSocket, expectedReflections);
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        final Future<?> receiving = executor.submit(reflections);
        final int perRule = ROUNDS * SIZES.length;
        try
        {
            sendInBursts(gen, genSocket, packets);
            reflections.awaitPackets(perRule, TimeUnit.SECONDS.toNanos(20));
        }
        finally
        {
            reflections.stop();
            receiving.get();
            executor.shutdown();
        }

        final Accounting accounting = processor.stop();
        final PipelineStats stats = accounting.pipeline();
        final String table = String.join("\n", accounting.lines());
        assertEquals(0, accounting.kernelDropped(), table);
        assertEquals(3L * perRule, accounting.steered(), table);
        assertEquals(3L * perRule, accounting.received(), table);
        assertEquals(perRule, stats.ruleHits(0), table);
        assertEquals(perRule, stats.ruleHits(1), table);
        assertEquals(perRule, stats.ruleHits(2), table);
        assertEquals(perRule, stats.get(PipelineCounter.REFLECTED), table);
        assertEquals(perRule, stats.get(PipelineCounter.FORWARDED), table);
        assertEquals(perRule, stats.get(PipelineCounter.COUNTED), table);
        assertEquals(0, stats.get(PipelineCounter.PARSE_ERROR), table);
        assertEquals(0, stats.get(PipelineCounter.TX_DROPPED), table);
        assertTrue(accounting.balanced(), table);
        assertTrue(accounting.ownership().balanced(), accounting.ownership().toString());
        assertEquals(accounting.ownership().total(),
            accounting.ownership().free() + accounting.ownership().fill(), "every buffer home after the drain");

        assertEquals(perRule, sinkProgram.counter(XdpCounter.DROP_RULE).packets(), "forwarded behind " + OUT_IF);
        assertEquals(forwardedBytes, sinkProgram.counter(XdpCounter.DROP_RULE).bytes(),
            "forwarded whole: every buffer's bytes arrived behind " + OUT_IF);
        assertEquals(0, reflections.bad, reflections.firstProblem);
        assertEquals(perRule, reflections.matched, "reflected byte for byte (buffers per size " + multiBufferSizes +
            ")");
        assertEquals(0, expectedReflections.size(), "every reflection came back once");
        assertEquals(expectedMultiBuffer, genSocket.counter(XskCounter.RX_MULTI_BUFFER_PACKETS),
            "reflections that came back as chains");
        assertEquals(0, genSocket.counter(XskCounter.RX_CHAINS_CUT));
    }

    @Test
    void shouldCountAJumboFrameAsAKernelDropWhereMultiBufferIsOff() throws Exception
    {
        Privileged.require("AF_XDP on veth in network namespaces");
        final Hosts hosts = genAndDut();
        final NetNs gen = hosts.gen();
        final SteeringProgram genProgram = keep(gen.call(() -> SteeringProgram.open().attach(GEN_IF, XdpMode.NATIVE)));
        final Umem genUmem = keep(Umem.create(UmemConfig.defaults().withFrameCount(4096)));
        final XskSocket genSocket = keep(gen.call(() -> XskSocket.open(genUmem, GEN_IF, 0,
            XskConfig.defaults().withRings(2048, 2048, 2048, 2048).withMultiBuffer(true))));
        genSocket.registerWith(genProgram);

        final PacketProcessor processor = launch(hosts.dut(), """
            steer:
              - {name: to-sluice, proto: udp, dst: 10.221.0.2/32, dst_port: 7002, action: steer}
            filter:
              - {name: count, proto: udp, dst_port: 7002, action: count}
            default: drop
            """, false);

        final int each = 50;
        final List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < each; i++)
        {
            packets.add(hosts.toDut()
                .udp(SOURCE_PORT, COUNT_PORT).payload(22).build());
            packets.add(hosts.toDut()
                .udp(SOURCE_PORT, COUNT_PORT).payload(4000 - 42).build());
        }
        assertEquals(packets.size(), gen.call(() -> Transmit.packets(genSocket, packets, genUmem.frameSizeBytes())));
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (processor.pipeline().stats().get(PipelineCounter.COUNTED) < each && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
        }
        Thread.sleep(100);

        final Accounting accounting = processor.stop();
        final String table = String.join("\n", accounting.lines());
        assertEquals(2L * each, accounting.steered(), "the frags-aware program steers both sizes\n" + table);
        assertEquals(each, accounting.received(), table);
        assertEquals(each, accounting.kernelDropped(), "a 4000-byte frame does not fit one 4 KiB frame: the " +
            "socket without XDP_USE_SG drops it and counts it (rx_dropped)\n" + table);
        assertEquals(each, accounting.pipeline().get(PipelineCounter.COUNTED), table);
        assertTrue(accounting.balanced(), table);
    }

    /**
     * A mirror rule's jumbo packets go into the capture whole: each pcap record holds every buffer of its chain, in
     * order, byte for byte as sent, with its full length, and the capture wrote exactly the packets mirrored.
     */
    @Test
    void shouldMirrorJumboFramesWholeIntoTheCapture() throws Exception
    {
        Privileged.require("multi-buffer AF_XDP on veth in network namespaces");
        final Hosts hosts = genAndDut();
        final NetNs gen = hosts.gen();
        final Umem genUmem = keep(Umem.create(UmemConfig.defaults().withFrameCount(4096)));
        final XskSocket genSocket = keep(gen.call(() -> XskSocket.open(genUmem, GEN_IF, 0,
            XskConfig.defaults().withRings(64, 2048, 64, 2048).withMultiBuffer(true).withPrefill(false))));
        final Path pcap = Files.createTempFile("multi-buffer-mirror", ".pcap");
        try
        {
            final PacketProcessor processor = launch(hosts.dut(), """
                steer:
                  - {name: to-sluice, proto: udp, dst: 10.221.0.2/32, dst_port: 7003, action: steer}
                filter:
                  - {name: mirror, proto: udp, dst_port: 7003, action: mirror}
                default: drop
                """, true, pcap);

            final int rounds = 40;
            final Random random = new Random(7003);
            final List<byte[]> packets = new ArrayList<>();
            for (int round = 0; round < rounds; round++)
            {
                for (final int size : SIZES)
                {
                    final byte[] payload = new byte[size - 42];
                    random.nextBytes(payload);
                    packets.add(hosts.toDut()
                        .udp(SOURCE_PORT, MIRROR_PORT).payload(payload).build());
                }
            }
            sendInBursts(gen, genSocket, packets);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (processor.capture().written() < packets.size() && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }

            final Accounting accounting = processor.stop();
            final String table = String.join("\n", accounting.lines());
            assertEquals(0, accounting.kernelDropped(), table);
            assertEquals(packets.size(), accounting.pipeline().get(PipelineCounter.MIRRORED), table);
            assertEquals(packets.size(), processor.capture().written(), table);
            assertTrue(accounting.balanced(), table);

            final List<byte[]> records = pcapRecords(Files.readAllBytes(pcap));
            assertEquals(packets.size(), records.size());
            for (int i = 0; i < packets.size(); i++)
            {
                final int k = i;
                assertArrayEquals(packets.get(i), records.get(i), () -> "record " + k + " of " +
                    packets.get(k).length + " bytes");
            }
        }
        finally
        {
            Files.deleteIfExists(pcap);
        }
    }

    /**
     * @param file a pcap file, little-endian as Sluice writes it.
     * @return each record's bytes, checking its captured length is its length on the wire.
     */
    private static List<byte[]> pcapRecords(final byte[] file)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FrameCapture.PCAP_NANOSECOND_MAGIC, buffer.getInt(0), "pcap magic");
        buffer.position(PCAP_HEADER_BYTES);
        final List<byte[]> records = new ArrayList<>();
        while (buffer.remaining() >= PCAP_RECORD_HEADER_BYTES)
        {
            buffer.getInt();
            buffer.getInt();
            final int captured = buffer.getInt();
            final int original = buffer.getInt();
            assertEquals(original, captured, "record " + records.size() + " cut short");
            final byte[] record = new byte[captured];
            buffer.get(record);
            records.add(record);
        }
        assertEquals(0, buffer.remaining(), "the file ends with a whole record");

        return records;
    }

    /**
     * The generator's and the DUT's namespaces, joined by a veth at MTU 9000, and each end's MAC.
     */
    private record Hosts(NetNs gen, NetNs dut, String genMac, String dutMac)
    {
        /**
         * @return a frame from the generator's end to the DUT's, its UDP header and payload still to come.
         */
        Frames toDut()
        {
            return Frames.ethernet().macs(dutMac, genMac).ipv4(GEN_ADDR, DUT_ADDR);
        }
    }

    private Hosts genAndDut()
    {
        final NetNs gen = keep(NetNs.create("mbgen"));
        final NetNs dut = keep(NetNs.create("mbdut"));
        jumboVeth(gen, GEN_IF, GEN_ADDR + "/24", dut, DUT_IF, DUT_ADDR + "/24");

        return new Hosts(gen, dut, gen.mac(GEN_IF), dut.mac(DUT_IF));
    }

    /**
     * Send {@code packets} from the generator's socket, {@link #BURST} at a time with a pause between, so the DUT's
     * RX ring keeps up.
     */
    private static void sendInBursts(final NetNs gen, final XskSocket socket, final List<byte[]> packets)
        throws Exception
    {
        for (int from = 0; from < packets.size(); from += BURST)
        {
            final List<byte[]> burst = packets.subList(from, Math.min(packets.size(), from + BURST));
            assertEquals(burst.size(), gen.call(() -> Transmit.packets(socket, burst,
                socket.umem().frameSizeBytes())));
            Thread.sleep(2);
        }
    }

    /**
     * A veth pair as {@link NetNs#veth} makes it, both ends at MTU 9000 before any program is attached.
     */
    private static void jumboVeth(
        final NetNs a, final String nameA, final String cidrA, final NetNs b, final String nameB, final String cidrB)
    {
        NetNs.veth(a, nameA, cidrA, b, nameB, cidrB);
        a.ip("link", "set", nameA, "mtu", Integer.toString(MTU));
        b.ip("link", "set", nameB, "mtu", Integer.toString(MTU));
    }

    /**
     * Sluice on the DUT's end, with the rules given and multi-buffer on or off.
     */
    private PacketProcessor launch(final NetNs dut, final String rules, final boolean multiBuffer) throws Exception
    {
        return launch(dut, rules, multiBuffer, null);
    }

    /**
     * As {@link #launch(NetNs, String, boolean)}, mirror rules' packets captured to {@code pcap} unless it is null.
     */
    private PacketProcessor launch(final NetNs dut, final String rules, final boolean multiBuffer, final Path pcap)
        throws Exception
    {
        final Path rulesFile = Files.createTempFile("multi-buffer-veth", ".yaml");
        Files.writeString(rulesFile, rules);
        final SluiceContext ctx = new SluiceContext()
            .iface(DUT_IF)
            .queues(0)
            .rules(RulesFile.load(rulesFile))
            .xdpMode(XdpMode.NATIVE)
            .xskConfig(XskConfig.defaults().withRings(4096, 2048, 8192, 2048).withMultiBuffer(multiBuffer))
            .umemConfig(UmemConfig.defaults())
            .pipelineConfig(PipelineConfig.defaults().withIdle(IdleMode.BACKOFF));
        if (null != pcap)
        {
            ctx.capture(pcap, null, SluiceContext.CAPTURE_MAX_FRAMES_DEFAULT);
        }
        try
        {
            return keep(dut.call(() -> PacketProcessor.launch(ctx)));
        }
        finally
        {
            Files.delete(rulesFile);
        }
    }

    private static String key(final byte[] payload)
    {
        return Arrays.toString(Arrays.copyOf(payload, 16));
    }

    /**
     * What the DUT sends back for a frame the reflect rule takes: MACs, IPv4 addresses and UDP ports swapped,
     * everything else (the checksums included) as it was.
     */
    private static byte[] reflection(final byte[] frame)
    {
        final byte[] out = frame.clone();
        swap(out, 0, 6, 6);
        swap(out, 26, 30, 4);
        swap(out, 34, 36, 2);

        return out;
    }

    private static void swap(final byte[] bytes, final int a, final int b, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            final byte t = bytes[a + i];
            bytes[a + i] = bytes[b + i];
            bytes[b + i] = t;
        }
    }

    /**
     * The sender's receiver: gathers every chain that comes back and compares it with its expected reflection.
     */
    private static final class Reflections implements Runnable
    {
        private final XskSocket socket;
        private final MemorySegment memory;
        private final Map<String, byte[]> expected;
        private volatile boolean running = true;
        private volatile long packets;
        private long matched;
        private long bad;
        private String firstProblem = "";

        Reflections(final XskSocket socket, final Map<String, byte[]> expected)
        {
            this.socket = socket;
            this.memory = socket.umem().memory();
            this.expected = expected;
        }

        @Override
        public void run()
        {
            final long[] addresses = new long[64 * socket.maxBuffers()];
            final int[] lengths = new int[addresses.length];
            final int[] buffers = new int[64];
            while (running)
            {
                final int n = socket.receivePackets(addresses, lengths, buffers, buffers.length);
                if (0 == n)
                {
                    Thread.yield();
                    continue;
                }
                int buffer = 0;
                for (int k = 0; k < n; k++)
                {
                    final int count = buffers[k] & XskSocket.BUFFERS_MASK;
                    check(addresses, lengths, buffer, count);
                    buffer += count;
                }
                int placed = 0;
                while (placed < buffer)
                {
                    placed += socket.fill(addresses, placed, buffer - placed);
                }
                packets += n;
            }
        }

        private void check(final long[] addresses, final int[] lengths, final int from, final int count)
        {
            int total = 0;
            for (int b = 0; b < count; b++)
            {
                total += lengths[from + b];
            }
            final byte[] bytes = new byte[total];
            int at = 0;
            for (int b = 0; b < count; b++)
            {
                MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, addresses[from + b], bytes, at, lengths[from + b]);
                at += lengths[from + b];
            }
            if (total < 42 + 16)
            {
                problem("a " + total + "-byte frame came back");
                return;
            }
            final byte[] want = expected.remove(key(Arrays.copyOfRange(bytes, 42, 58)));
            if (null == want)
            {
                problem("a " + total + "-byte frame in " + count + " buffers that was not sent, or came back twice");
            }
            else if (!Arrays.equals(want, bytes))
            {
                problem("a " + total + "-byte frame in " + count + " buffers differs from its reflection (" +
                    want.length + " bytes expected)");
            }
            else
            {
                matched++;
            }
        }

        private void problem(final String what)
        {
            if (0 == bad++)
            {
                firstProblem = what;
            }
        }

        void awaitPackets(final long wanted, final long timeoutNs) throws InterruptedException
        {
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (packets < wanted && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            Thread.sleep(100);
        }

        void stop()
        {
            running = false;
        }
    }
}
