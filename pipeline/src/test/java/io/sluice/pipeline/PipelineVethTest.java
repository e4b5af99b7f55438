package io.sluice.pipeline;

import io.sluice.pipeline.parse.Checksums;
import io.sluice.pipeline.parse.PacketParser;
import io.sluice.pipeline.parse.ParseError;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.gen.TrafficGenerator;
import io.sluice.xsk.socket.XskConfig;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline end to end on veth, in both threading modes: the generator sends known counts to six destination
 * ports, each meant for a different rule, plus malformed frames; every rule's hits, every outcome and every
 * parse-error reason must come out exactly; reflected frames must arrive back at the sender with swapped MACs (and
 * addresses and ports where asked) and valid checksums; forwarded frames must arrive behind the second interface;
 * and every UMEM frame must be accounted for.
 */
class PipelineVethTest
{
    private static final String GEN_IF = "pvg0";
    private static final String DUT_IF = "pvd0";
    private static final String OUT_IF = "pvo0";
    private static final String SINK_IF = "pvs0";
    private static final String GEN_ADDR = "10.218.0.1";
    private static final String DUT_ADDR = "10.218.0.2";
    private static final int BASE_PORT = 7000;
    private static final int SOURCE_PORT = 40_000;
    private static final int SOURCE_PORTS = 8;
    private static final int FRAMES_PER_RULE = 5_000;
    private static final int MALFORMED_EACH = 10;
    private static final long RATE_PPS = 20_000;

    private static final String RULES = """
        steer:
          - {name: to-sluice, proto: udp, dst: 10.218.0.2/32, dst_port: 7000-7009, action: steer}
        filter:
          - {name: reflect, proto: udp, dst_port: 7000, action: reflect, swap: [ip, ports]}
          - {name: reflect-mac, proto: udp, dst_port: 7001, action: reflect}
          - {name: count, proto: udp, dst_port: 7002, action: count}
          - {name: forward, proto: udp, dst_port: 7003, action: forward, to: pvo0}
          - {name: drop, proto: udp, dst_port: 7004, action: drop}
          - {name: shadowed, proto: udp, dst_port: 7000-7004, action: drop}
        default: count
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

    static Stream<Arguments> threading()
    {
        return Stream.of(
            Arguments.of(ThreadingMode.SHARED, 1, new int[]{1}),
            Arguments.of(ThreadingMode.DEDICATED, 1, new int[]{0, 1, 1}),
            Arguments.of(ThreadingMode.DEDICATED, 2, new int[]{0, 1, 0, 1}));
    }

    @ParameterizedTest(name = "{0} with {1} handler(s) on cores {2}")
    @MethodSource("threading")
    void shouldEndEveryFrameInExactlyTheOutcomeItsRuleSays(
        final ThreadingMode mode, final int handlers, final int[] cores) throws Exception
    {
        Privileged.require("the pipeline on veth in network namespaces");
        final NetNs gen = keep(NetNs.create("pvgen"));
        final NetNs dut = keep(NetNs.create("pvdut"));
        final NetNs sink = keep(NetNs.create("pvsnk"));
        NetNs.veth(gen, GEN_IF, GEN_ADDR + "/24", dut, DUT_IF, DUT_ADDR + "/24");
        NetNs.veth(dut, OUT_IF, "10.219.0.2/24", sink, SINK_IF, "10.219.0.1/24");
        final String genMac = gen.mac(GEN_IF);
        final String dutMac = dut.mac(DUT_IF);

        // behind the forward interface: count and drop in XDP whatever arrives
        final SteeringProgram sinkProgram = keep(sink.call(() -> SteeringProgram.open().attach(SINK_IF, XdpMode.NATIVE)));
        sinkProgram.tables().add(FlowRule.of(1, FlowRule.Action.DROP));
        // the sender's own end receives what is reflected, through an AF_XDP socket
        final SteeringProgram genProgram = keep(gen.call(() -> SteeringProgram.open().attach(GEN_IF, XdpMode.NATIVE)));
        genProgram.tables().steerAll(true);
        // rings that hold a whole rule's reflections, so a receiving thread the scheduler holds back loses none
        final Umem genUmem = keep(Umem.create(UmemConfig.defaults().withFrameCount(32768)));
        final XskSocket genSocket = keep(gen.call(() -> XskSocket.open(genUmem, GEN_IF, 0,
            XskConfig.defaults().withRings(8192, 2048, 16384, 2048))));
        genSocket.registerWith(genProgram);

        final Path rulesFile = Files.createTempFile("pipeline-veth", ".yaml");
        Files.writeString(rulesFile, RULES);
        final PipelineConfig pipelineConfig = PipelineConfig.defaults()
            .withThreading(mode, handlers, cores).withIdle(IdleMode.BACKOFF);
        final SluiceContext ctx = new SluiceContext()
            .iface(DUT_IF)
            .queues(0)
            .rules(RulesFile.load(rulesFile))
            .xdpMode(XdpMode.NATIVE)
            .xskConfig(XskConfig.defaults().withRings(4096, 2048, 8192, 2048))
            .umemConfig(UmemConfig.defaults())
            .pipelineConfig(pipelineConfig);
        final PacketProcessor processor = keep(dut.call(() -> PacketProcessor.launch(ctx)));
        Files.delete(rulesFile);

        assertPinned(processor.pipeline(), cores);

        sendMalformed(genSocket, genMac, dutMac);
        final Reflections reflections = new Reflections(genSocket);
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        final Future<?> receiving = executor.submit(reflections);
        try
        {
            for (int rule = 0; rule <= 5; rule++)
            {
                final int port = BASE_PORT + rule;
                try (TrafficGenerator generator = gen.call(() -> TrafficGenerator.builder().egress(GEN_IF)
                    .template(udp(genMac, dutMac, port)).sourcePorts(SOURCE_PORT, SOURCE_PORTS).cpu(0).open()))
                {
                    assertEquals(FRAMES_PER_RULE, gen.call(() -> generator.send(FRAMES_PER_RULE, RATE_PPS)));
                }
            }
            reflections.awaitFrames(2L * FRAMES_PER_RULE, TimeUnit.SECONDS.toNanos(10));
        }
        finally
        {
            reflections.stop();
            receiving.get();
            executor.shutdown();
        }

        final Accounting accounting = processor.stop();
        final PipelineStats stats = accounting.pipeline();
        final long n = FRAMES_PER_RULE;
        final String table = String.join("\n", accounting.lines());
        assertEquals(0, accounting.kernelDropped(), table);
        assertEquals(6 * n + 2 * MALFORMED_EACH, accounting.steered(), table);
        assertEquals(6 * n + 2 * MALFORMED_EACH, accounting.received(), table);
        assertEquals(n, stats.ruleHits(0), table);
        assertEquals(n, stats.ruleHits(1), table);
        assertEquals(n, stats.ruleHits(2), table);
        assertEquals(n, stats.ruleHits(3), table);
        assertEquals(n, stats.ruleHits(4), table);
        assertEquals(0, stats.ruleHits(5), "earlier rules win over the shadowing one\n" + table);
        assertEquals(n, stats.defaultHits(), table);
        assertEquals(2 * n, stats.get(PipelineCounter.REFLECTED), table);
        assertEquals(2 * n, stats.get(PipelineCounter.COUNTED), table);
        assertEquals(n, stats.get(PipelineCounter.FORWARDED), table);
        assertEquals(n, stats.get(PipelineCounter.DROPPED), table);
        assertEquals(2 * MALFORMED_EACH, stats.get(PipelineCounter.PARSE_ERROR), table);
        assertEquals(MALFORMED_EACH, stats.get(ParseError.IPV4_BAD_TOTAL_LENGTH), table);
        assertEquals(MALFORMED_EACH, stats.get(ParseError.UDP_BAD_LENGTH), table);
        assertEquals(0, stats.get(PipelineCounter.TX_DROPPED), table);
        assertTrue(accounting.balanced(), table);
        assertTrue(accounting.ownership().balanced(), accounting.ownership().toString());
        assertEquals(accounting.ownership().total(),
            accounting.ownership().free() + accounting.ownership().fill(), "all frames home after the drain");

        assertEquals(n, sinkProgram.counter(XdpCounter.DROP_RULE).packets(), "forwarded frames behind " + OUT_IF);
        assertEquals(n, reflections.swapped, "reflected with addresses and ports swapped; at the sender's socket " +
            genSocket.statistics());
        assertEquals(n, reflections.macOnly, "reflected with MACs swapped only");
        assertEquals(0, reflections.bad, reflections.firstProblem);
        assertEquals(2 * n, reflections.frames);
        assertEquals(dutMac, reflections.srcMac);
        assertEquals(genMac, reflections.dstMac);
    }

    private static void assertPinned(final Pipeline pipeline, final int[] cores) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int[] tids = pipeline.threadIds();
        while (Arrays.stream(tids).anyMatch((tid) -> 0 == tid) && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
            tids = pipeline.threadIds();
        }
        final int[] expected = cores.length == 1 ? new int[]{cores[0], cores[0], cores[0]} : cores;
        assertEquals(expected.length, tids.length, "one thread id per agent");
        for (int i = 0; i < tids.length; i++)
        {
            final String status = Files.readString(Path.of("/proc/self/task/" + tids[i] + "/status"));
            final String allowed = status.lines().filter((line) -> line.startsWith("Cpus_allowed_list:"))
                .findFirst().orElseThrow().substring("Cpus_allowed_list:".length()).strip();
            assertEquals(Integer.toString(expected[i]), allowed, "agent " + i + " (task " + tids[i] + ")");
        }
    }

    private static byte[] udp(final String srcMac, final String dstMac, final int dstPort)
    {
        return Frames.ethernet().macs(dstMac, srcMac).ipv4(GEN_ADDR, DUT_ADDR).udp(SOURCE_PORT, dstPort)
            .payload(new byte[22]).build();
    }

    /**
     * Frames the XDP program steers (it reads no lengths it does not need) but the parser rejects: an IPv4 total
     * length beyond the frame, and a UDP length below the UDP header.
     */
    private static void sendMalformed(final XskSocket socket, final String genMac, final String dutMac)
    {
        final byte[] good = udp(genMac, dutMac, BASE_PORT);
        final List<byte[]> frames = new ArrayList<>(2 * MALFORMED_EACH);
        for (int i = 0; i < 2 * MALFORMED_EACH; i++)
        {
            final byte[] frame = good.clone();
            if (0 == i % 2)
            {
                frame[16] = (byte)(1400 >> 8);
                frame[17] = (byte)1400;
            }
            else
            {
                frame[38] = 0;
                frame[39] = 4;
            }
            frames.add(frame);
        }
        assertEquals(frames.size(), Transmit.frames(socket, frames));
        assertEquals(0, socket.txFrames(), "malformed frames completed");
    }

    /**
     * The sender's receiver: parses every frame that comes back and checks what reflection did to it.
     */
    private static final class Reflections implements Runnable
    {
        private final XskSocket socket;
        private final MemorySegment memory;
        private final PacketParser parser = new PacketParser();
        private final FrameEvent event = new FrameEvent();
        private volatile boolean running = true;
        private volatile long frames;
        private long swapped;
        private long macOnly;
        private long bad;
        private String firstProblem = "";
        private String srcMac;
        private String dstMac;

        Reflections(final XskSocket socket)
        {
            this.socket = socket;
            memory = socket.umem().memory();
        }

        @Override
        public void run()
        {
            final long[] addresses = new long[64];
            final int[] lengths = new int[64];
            while (running)
            {
                final int n = socket.receive(addresses, lengths, 0, addresses.length);
                if (0 == n)
                {
                    Thread.yield();
                    continue;
                }
                for (int i = 0; i < n; i++)
                {
                    check(addresses[i], lengths[i]);
                }
                int placed = 0;
                while (placed < n)
                {
                    placed += socket.fill(addresses, placed, n - placed);
                }
                frames += n;
            }
        }

        private void check(final long address, final int length)
        {
            event.address = address;
            event.length = length;
            if (0 != parser.parse(memory, event))
            {
                problem("parse error " + ParseError.get(event.parseError).key());
                return;
            }
            srcMac = mac(address + 6);
            dstMac = mac(address);
            if (!Checksums.ipv4HeaderValid(memory, address + event.l3Offset))
            {
                problem("IPv4 header checksum invalid");
            }
            else if (!Checksums.hasL4Checksum(event) || !Checksums.l4Valid(memory, address, event))
            {
                problem("UDP checksum invalid");
            }
            else if (BASE_PORT == event.srcPort && event.dstPort >= SOURCE_PORT &&
                event.dstPort < SOURCE_PORT + SOURCE_PORTS && ipv4(DUT_ADDR) == event.srcIpv4 &&
                ipv4(GEN_ADDR) == event.dstIpv4)
            {
                swapped++;
            }
            else if (BASE_PORT + 1 == event.dstPort && event.srcPort >= SOURCE_PORT &&
                ipv4(GEN_ADDR) == event.srcIpv4 && ipv4(DUT_ADDR) == event.dstIpv4)
            {
                macOnly++;
            }
            else
            {
                problem("unexpected frame: ports " + event.srcPort + " -> " + event.dstPort);
            }
        }

        private void problem(final String what)
        {
            if (0 == bad++)
            {
                firstProblem = what;
            }
        }

        private String mac(final long address)
        {
            final StringBuilder text = new StringBuilder();
            for (int i = 0; i < 6; i++)
            {
                if (i > 0)
                {
                    text.append(':');
                }
                text.append(String.format("%02x", memory.get(ValueLayout.JAVA_BYTE, address + i) & 0xFF));
            }

            return text.toString();
        }

        void awaitFrames(final long expected, final long timeoutNs) throws InterruptedException
        {
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (frames < expected && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            Thread.sleep(100); // anything beyond the expected would show in the counts
        }

        void stop()
        {
            running = false;
        }

        private static int ipv4(final String dotted)
        {
            final String[] parts = dotted.split("\\.");
            return (Integer.parseInt(parts[0]) << 24) | (Integer.parseInt(parts[1]) << 16) |
                (Integer.parseInt(parts[2]) << 8) | Integer.parseInt(parts[3]);
        }
    }
}
