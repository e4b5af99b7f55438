package io.sluice.xsk.gen;

import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.util.CpuAffinity;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.XdpCounter;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generator on a real veth pair between two namespaces. The sink end carries the steering program, which
 * veth needs before it accepts XDP-redirected frames, and which counts every frame it sees; with no rules it
 * passes them all to the kernel's stack.
 */
class TrafficGeneratorTest
{
    private static final String GEN_IF = "sg0";
    private static final String SINK_IF = "sg1";
    private static final String SUBNET = "10.214.";
    private static final String ELSEWHERE_MAC = "02:00:00:00:5e:99";
    private static final int SINK_PORT = 9999;
    private static final Pattern XMIT = Pattern.compile("tx_queue_\\d+_xdp_xmit");
    private static final Pattern XMIT_ERRORS = Pattern.compile("tx_queue_\\d+_xdp_xmit_errors");
    private static final Pattern RX_XDP_PACKETS = Pattern.compile("rx_queue_\\d+_xdp_packets");
    private static final Pattern RX_DROPS = Pattern.compile("rx_queue_\\d+_(xdp_)?drops");

    @Test
    void shouldSendExactlyTheCountAndTheSinkShouldSeeEveryFrame() throws Exception
    {
        Privileged.require("the traffic generator on a veth pair in network namespaces");
        final long frames = 200_000;
        try (Link link = Link.create("gcnt", 1, 1))
        {
            // addressed to a MAC the sink does not own: its stack drops them at once, after XDP has counted them
            final byte[] template = Frames.ethernet().macs(ELSEWHERE_MAC, link.genMac)
                .ipv4(link.genAddress, link.sinkAddress).udp(40_000, SINK_PORT).payload(32).build();
            try (TrafficGenerator generator = link.gen.call(() ->
                TrafficGenerator.builder().egress(GEN_IF).template(template).open()))
            {
                final long sent = link.gen.call(() -> generator.send(frames, 200_000));

                assertEquals(frames, sent);
                assertEquals(frames, generator.sent());
                assertEquals(0, generator.failures());
                assertEquals(frames, generator.nextSequence(), "one sequence number per frame");
                link.awaitSinkFrames(frames);
                assertEquals(frames, link.sinkFrames(), "every frame reached the sink's XDP program");
                assertEquals(frames, link.sinkProgram.counter(XdpCounter.PASS_NO_MATCH).packets());
                assertEquals(frames, link.transmitted(generator), "veth took every frame into its ring");
                assertEquals(0, link.refused(generator), "veth's ring never overflowed");
                assertEquals(frames, sum(link.sink.ethtool(SINK_IF), RX_XDP_PACKETS));
                assertEquals(0, sum(link.sink.ethtool(SINK_IF), RX_DROPS));

                final long ran = link.gen.call(() -> generator.run(Duration.ofMillis(200), 100_000));
                link.awaitSinkFrames(frames + ran);
                assertEquals(frames + ran, generator.sent());
                assertEquals(frames + ran, link.sinkFrames());
                assertEquals(frames + ran, link.transmitted(generator));

                final IllegalStateException elsewhere = assertThrows(IllegalStateException.class,
                    () -> generator.send(1));
                assertTrue(elsewhere.getMessage().contains("send from a thread in " + GEN_IF + "'s namespace"),
                    elsewhere.getMessage());
                assertEquals(frames + ran, generator.sent(), "nothing is sent from the wrong namespace");
            }
        }
    }

    @Test
    void shouldStampSequenceTimestampPortAndAddressThatTheKernelAccepts() throws Exception
    {
        Privileged.require("the traffic generator on a veth pair in network namespaces");
        final int frames = 2_000;
        final long firstSequence = 1_000_000;
        final int portBase = 40_000;
        final int ports = 7;
        final int addresses = 3;
        final int payloadBytes = 32;
        // odd offsets: each stamp straddles the UDP checksum's 16-bit words
        final int seqAt = 3;
        final int tsAt = 13;
        try (Link link = Link.create("gstamp", 1, 2);
            DatagramChannel receiver = link.sink.call(() -> DatagramChannel.open()
                .setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20)
                .bind(new InetSocketAddress(link.sinkAddress, SINK_PORT))))
        {
            final String firstSource = SUBNET + link.subnet + ".10";
            final byte[] template = Frames.ethernet().macs(link.sinkMac, link.genMac)
                .ipv4(firstSource, link.sinkAddress).udp(portBase, SINK_PORT).payload(payloadBytes).build();
            final long udpErrorsBefore = link.udpErrors();
            try (TrafficGenerator generator = link.gen.call(() -> TrafficGenerator.builder().egress(GEN_IF)
                .template(template).sourcePorts(portBase, ports).sourceAddresses(addresses)
                .sequenceOffset(seqAt).timestampOffset(tsAt).sequenceStart(firstSequence).open());
                ExecutorService executor = Executors.newSingleThreadExecutor())
            {
                final Future<List<Datagram>> received = executor.submit(() -> receive(receiver, frames));
                final long beforeNs = System.nanoTime();
                final long sent = link.gen.call(() -> generator.send(frames, 20_000));
                final long afterNs = System.nanoTime();
                final List<Datagram> datagrams = received.get(30, TimeUnit.SECONDS);

                assertEquals(frames, sent);
                assertEquals(frames, datagrams.size(), "every datagram arrived, none twice");
                final boolean[] seen = new boolean[frames];
                final byte[] templatePayload = Arrays.copyOfRange(template, template.length - payloadBytes,
                    template.length);
                for (final Datagram datagram : datagrams)
                {
                    final ByteBuffer payload = ByteBuffer.wrap(datagram.payload()).order(ByteOrder.LITTLE_ENDIAN);
                    final long sequence = payload.getLong(seqAt);
                    final long timestampNs = payload.getLong(tsAt);
                    final int index = (int)(sequence - firstSequence);
                    assertTrue(index >= 0 && index < frames && !seen[index], "sequence " + sequence);
                    seen[index] = true;
                    assertEquals(portBase + sequence % ports, datagram.source().getPort(), "port of " + sequence);
                    assertEquals(InetAddress.getByName(SUBNET + link.subnet + "." + (10 + (sequence / ports) %
                        addresses)), datagram.source().getAddress(), "address of " + sequence);
                    assertTrue(timestampNs >= beforeNs && timestampNs <= afterNs,
                        "timestamp " + timestampNs + " within [" + beforeNs + ", " + afterNs + "]");
                    final byte[] rest = datagram.payload().clone();
                    Arrays.fill(rest, seqAt, seqAt + Long.BYTES, (byte)0);
                    Arrays.fill(rest, tsAt, tsAt + Long.BYTES, (byte)0);
                    final byte[] expected = templatePayload.clone();
                    Arrays.fill(expected, seqAt, seqAt + Long.BYTES, (byte)0);
                    Arrays.fill(expected, tsAt, tsAt + Long.BYTES, (byte)0);
                    assertArrayEquals(expected, rest, "the rest of the payload is the template's");
                }
                assertEquals(firstSequence + frames, generator.nextSequence());
                assertEquals(udpErrorsBefore, link.udpErrors(), "no UDP checksum or receive errors at the sink");
                assertEquals(frames, link.sinkFrames());
            }
        }
    }

    @Test
    void shouldReachTheReceiveQueueOfTheCpuItIsPinnedTo() throws Exception
    {
        Privileged.require("the traffic generator on a veth pair in network namespaces");
        final int queues = 2;
        final long frames = 10_000;
        final int[] allowed = CpuAffinity.currentThreadCpus();
        final int[] cpus = { allowed[allowed.length - 1], allowed[0] };
        try (Link link = Link.create("gpin", queues, 3))
        {
            final byte[] template = Frames.ethernet().macs(ELSEWHERE_MAC, link.genMac)
                .ipv4(link.genAddress, link.sinkAddress).udp(40_000, SINK_PORT).payload(32).build();
            final long[] expectedPerQueue = new long[queues];
            for (final int cpu : cpus)
            {
                try (TrafficGenerator generator = link.gen.call(() ->
                    TrafficGenerator.builder().egress(GEN_IF).template(template).cpu(cpu).open()))
                {
                    final int[] affinity = link.gen.call(() ->
                    {
                        final int[] before = CpuAffinity.currentThreadCpus();
                        assertEquals(frames, generator.send(frames, 200_000));
                        assertArrayEquals(before, CpuAffinity.currentThreadCpus(), "affinity restored after send");
                        return before;
                    });
                    assertTrue(affinity.length > 0);
                }
                expectedPerQueue[cpu % queues] += frames;
                link.awaitSinkFrames(Arrays.stream(expectedPerQueue).sum());

                final Map<String, Long> stats = link.sink.ethtool(SINK_IF);
                for (int queue = 0; queue < queues; queue++)
                {
                    assertEquals(expectedPerQueue[queue], stats.get("rx_queue_" + queue + "_xdp_packets"),
                        "after sending from CPU " + cpu + ", frames on rx queue " + queue + ": " + stats);
                }
            }
        }
    }

    @Test
    void shouldKeepBothChecksumsRightForEveryStampWhateverTheFamilyAndOffsets() throws Exception
    {
        Privileged.require("BPF_PROG_RUN of the traffic generator");
        try (NetNs ns = NetNs.create("gsum"))
        {
            final byte[] ipv6 = Frames.ethernet().ipv6("fd00::1:0:fffe", "fd00::2").udp(5_000, 6_000).payload(41)
                .build();
            final byte[] ipv4Tagged = Frames.ethernet().vlan(0x8100, 7).ipv4("10.9.0.250", "10.9.0.2")
                .ipv4Options(new byte[]{ 1, 1, 1, 0 }).udp(5_000, 6_000).payload(33).build();
            final byte[] ipv4NoUdpChecksum = Frames.ethernet().ipv4("10.9.0.250", "10.9.0.2").udp(5_000, 6_000)
                .payload(25).build();
            final int udpCheckAt = Frames.l4Offset(ipv4NoUdpChecksum) + 6;
            ipv4NoUdpChecksum[udpCheckAt] = 0;
            ipv4NoUdpChecksum[udpCheckAt + 1] = 0;

            for (final byte[] template : List.of(ipv6, ipv4Tagged, ipv4NoUdpChecksum))
            {
                final int ports = 5;
                final int addresses = 4;
                final long start = -3L; // wraps through 2^64: the counter is unsigned
                try (TrafficGenerator generator = ns.call(() -> TrafficGenerator.builder().egress("lo")
                    .template(template).sourcePorts(5_000, ports).sourceAddresses(addresses)
                    .sequenceOffset(5).timestampOffset(17).sequenceStart(start).open()))
                {
                    final int l3 = Frames.l3Offset(template);
                    final int l4 = Frames.l4Offset(template);
                    final boolean isIpv6 = EtherTypes.IPV6 == TemplateFrame.u16(template, l3 - 2);
                    final int addressAt = l3 + (isIpv6 ? 20 : 12);
                    final int firstAddress = TemplateFrame.u32(template, addressAt);
                    for (int i = 0; i < 40; i++)
                    {
                        final long sequence = start + i;
                        final byte[] frame = ns.call(generator::stampOnce);
                        final ByteBuffer le = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);

                        assertEquals(sequence, le.getLong(generator.sequenceFrameOffset()));
                        assertTrue(le.getLong(generator.timestampFrameOffset()) > 0);
                        assertEquals(5_000 + Long.remainderUnsigned(sequence, ports), TemplateFrame.u16(frame, l4));
                        assertEquals(firstAddress + Long.remainderUnsigned(Long.divideUnsigned(sequence, ports),
                            addresses), TemplateFrame.u32(frame, addressAt));
                        if (!isIpv6)
                        {
                            assertEquals(0, TemplateFrame.checksum(frame, l3, (frame[l3] & 0x0F) * 4),
                                "IPv4 header checksum of stamp " + i);
                        }
                        if (template == ipv4NoUdpChecksum)
                        {
                            assertEquals(0, TemplateFrame.u16(frame, l4 + 6), "no UDP checksum stays none");
                        }
                        else
                        {
                            assertEquals(0, udpChecksum(frame, l3, l4, isIpv6), "UDP checksum of stamp " + i);
                        }
                    }
                    assertEquals(0, generator.sent(), "stamping sends nothing");
                    assertEquals(40, generator.counter(GeneratorCounter.REDIRECTED));
                    assertEquals(0, generator.failures());
                }
            }
        }
    }

    @Test
    void shouldRefuseATemplateTooShortForTheOffsets()
    {
        final byte[] short18 = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(18).build();
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
            TrafficGenerator.builder().egress("lo").template(short18).sequenceOffset(0).timestampOffset(12).open());
        assertEquals("template too short for the timestamp at UDP payload offset 12: it takes 8 bytes, and the " +
            "60-byte frame carries a UDP payload of 18 bytes", ex.getMessage());

        final byte[] headersOnly = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        assertTrue(refusal(TrafficGenerator.builder().template(headersOnly))
            .startsWith("template too short for the sequence number at UDP payload offset 0"));
        assertTrue(refusal(TrafficGenerator.builder().template(Frames.truncate(short18, 30)))
            .startsWith("template of 30 bytes ends inside its IPv4 header"));
    }

    @Test
    void shouldRefuseWhatLiveFrameModeOrTheProgramCannotTake()
    {
        final byte[] udp = Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(16).build();
        assertTrue(refusal(TrafficGenerator.builder()
            .template(Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(3409 - 42).build()))
            .startsWith("template of 3409 bytes: live-frame mode takes frames of at most 3408 bytes"));
        assertTrue(refusal(TrafficGenerator.builder()
            .template(Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).payload(16).build()))
            .contains("IPv4 protocol is 6, not UDP"));
        assertTrue(refusal(TrafficGenerator.builder()
            .template(Frames.ethernet().ipv6("fd00::1", "fd00::2").ipv6HopByHop().udp(1, 2).payload(16).build()))
            .contains("extension headers are not supported"));
        assertTrue(refusal(TrafficGenerator.builder()
            .template(Frames.ethernet().ipv4("10.0.0.1", "10.0.0.2").fragment(0, true).udp(1, 2).payload(16)
                .build())).contains("IPv4 fragment"));
        assertTrue(refusal(TrafficGenerator.builder().template(Frames.ethernet().etherType(0x0806).build()))
            .contains("ethertype 0x0806"));
        assertTrue(refusal(TrafficGenerator.builder().template(udp).timestampOffset(4)).contains("overlap"));
        assertTrue(refusal(TrafficGenerator.builder().template(udp).sourcePorts(65_000, 1_000))
            .startsWith("source ports 65000 + 1000"));
        assertTrue(refusal(TrafficGenerator.builder().template(udp).batchSize(TrafficGenerator.BATCH_SIZE_MAX + 1))
            .startsWith("batch size must be in [1, 256]"));
        assertTrue(refusal(TrafficGenerator.builder().template(Frames.ethernet()
            .ipv4("255.255.255.254", "10.0.0.2").udp(1, 2).payload(16).build()).sourceAddresses(3))
            .startsWith("source address count must be >= 1 and not carry past"));
        assertTrue(refusal(TrafficGenerator.builder()).equals("template frame is required"));
    }

    /**
     * The UDP checksum over the pseudo-header and the datagram, checksum field included: 0 when it is right.
     */
    private static int udpChecksum(final byte[] frame, final int l3, final int l4, final boolean ipv6)
    {
        final int udpLength = TemplateFrame.u16(frame, l4 + 4);
        final byte[] pseudo = new byte[(ipv6 ? 32 : 8) + 4 + udpLength];
        System.arraycopy(frame, l3 + (ipv6 ? 8 : 12), pseudo, 0, ipv6 ? 32 : 8);
        int at = ipv6 ? 32 : 8;
        pseudo[at + 1] = 17;
        pseudo[at + 2] = (byte)(udpLength >>> 8);
        pseudo[at + 3] = (byte)udpLength;
        System.arraycopy(frame, l4, pseudo, at + 4, udpLength);

        return TemplateFrame.checksum(pseudo, 0, pseudo.length);
    }

    /**
     * The message of the IllegalArgumentException {@code open()} throws; the egress is never reached.
     */
    private static String refusal(final TrafficGeneratorBuilder builder)
    {
        try
        {
            builder.egress("lo").open().close();
        }
        catch (final IllegalArgumentException ex)
        {
            return ex.getMessage();
        }

        return "";
    }

    private record Datagram(InetSocketAddress source, byte[] payload)
    {
    }

    private static List<Datagram> receive(final DatagramChannel channel, final int expected) throws Exception
    {
        final List<Datagram> datagrams = new ArrayList<>();
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        channel.configureBlocking(false);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // once all are in, wait a little longer: anything more would be a duplicate
        long quietUntilNs = Long.MAX_VALUE;
        while (System.nanoTime() - deadlineNs < 0 && System.nanoTime() - quietUntilNs < 0)
        {
            buffer.clear();
            final InetSocketAddress source = (InetSocketAddress)channel.receive(buffer);
            if (null == source)
            {
                Thread.sleep(1);
                continue;
            }
            buffer.flip();
            final byte[] payload = new byte[buffer.remaining()];
            buffer.get(payload);
            datagrams.add(new Datagram(source, payload));
            if (datagrams.size() == expected)
            {
                quietUntilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            }
        }

        return datagrams;
    }

    private static long sum(final Map<String, Long> stats, final Pattern names)
    {
        long sum = 0;
        for (final Map.Entry<String, Long> e : stats.entrySet())
        {
            sum += names.matcher(e.getKey()).matches() ? e.getValue() : 0;
        }

        return sum;
    }

    /**
     * Two namespaces joined by a veth pair with {@code queues} queues each way, the sink end carrying the steering
     * program; closing detaches it and deletes both namespaces, whatever failed.
     */
    private static final class Link implements AutoCloseable
    {
        final Ns gen;
        final Ns sink;
        final int subnet;
        final String genAddress;
        final String sinkAddress;
        final String genMac;
        final String sinkMac;
        SteeringProgram sinkProgram;

        private Link(final Ns gen, final Ns sink, final int queues, final int subnet)
        {
            this.gen = gen;
            this.sink = sink;
            this.subnet = subnet;
            this.genAddress = SUBNET + subnet + ".1";
            this.sinkAddress = SUBNET + subnet + ".2";
            final String n = Integer.toString(queues);
            gen.ns.ip("link", "add", GEN_IF, "numtxqueues", n, "numrxqueues", n, "type", "veth",
                "peer", "name", SINK_IF, "numtxqueues", n, "numrxqueues", n, "netns", sink.ns.name());
            gen.ns.ip("addr", "add", genAddress + "/24", "dev", GEN_IF);
            sink.ns.ip("addr", "add", sinkAddress + "/24", "dev", SINK_IF);
            gen.ns.ip("link", "set", GEN_IF, "up");
            sink.ns.ip("link", "set", SINK_IF, "up");
            this.genMac = gen.ns.mac(GEN_IF);
            this.sinkMac = sink.ns.mac(SINK_IF);
        }

        static Link create(final String tag, final int queues, final int subnet) throws Exception
        {
            final NetNs genNs = NetNs.create(tag + "g");
            NetNs sinkNs = null;
            Link link = null;
            try
            {
                sinkNs = NetNs.create(tag + "s");
                link = new Link(new Ns(genNs), new Ns(sinkNs), queues, subnet);
                link.sinkProgram = sinkNs.call(() -> SteeringProgram.open().attach(SINK_IF, XdpMode.NATIVE));
                return link;
            }
            catch (final Exception | Error ex)
            {
                if (null != link)
                {
                    link.close();
                }
                else
                {
                    if (null != sinkNs)
                    {
                        sinkNs.close();
                    }
                    genNs.close();
                }
                throw ex;
            }
        }

        long sinkFrames()
        {
            long frames = 0;
            for (final XdpCounter counter : XdpCounter.values())
            {
                frames += counter.isOutcome() ? sinkProgram.counter(counter).packets() : 0;
            }

            return frames;
        }

        void awaitSinkFrames(final long expected) throws InterruptedException
        {
            await(this::sinkFrames, expected);
        }

        /**
         * UDP receive errors at the sink, checksum errors among them ({@code /proc/net/snmp}).
         */
        long udpErrors()
        {
            final String[] lines = sink.ns.exec("cat", "/proc/net/snmp").split("\n");
            for (int i = 0; i + 1 < lines.length; i++)
            {
                if (lines[i].startsWith("Udp:") && lines[i + 1].startsWith("Udp:"))
                {
                    final List<String> names = List.of(lines[i].split("\\s+"));
                    final String[] values = lines[i + 1].split("\\s+");
                    return Long.parseLong(values[names.indexOf("InErrors")]) +
                        Long.parseLong(values[names.indexOf("InCsumErrors")]);
                }
            }
            throw new IllegalStateException("no Udp: lines in /proc/net/snmp");
        }

        public void close()
        {
            try
            {
                if (null != sinkProgram)
                {
                    sinkProgram.close();
                }
            }
            finally
            {
                sink.ns.close();
                gen.ns.close();
            }
        }

        /**
         * Frames the generator's veth end handed to its peer: as XDP frames (live frames) or as skbs (clones).
         */
        long transmitted(final TrafficGenerator generator) throws Exception
        {
            return TrafficGenerator.Engine.LIVE_FRAMES == generator.engine() ?
                sum(gen.ethtool(GEN_IF), XMIT) : gen.statistic(GEN_IF, "tx_packets");
        }

        /**
         * Frames the generator's veth end refused: XDP frames its peer's ring had no room for, or dropped skbs.
         */
        long refused(final TrafficGenerator generator) throws Exception
        {
            return TrafficGenerator.Engine.LIVE_FRAMES == generator.engine() ?
                sum(gen.ethtool(GEN_IF), XMIT_ERRORS) : gen.statistic(GEN_IF, "tx_dropped");
        }
    }

    /**
     * A namespace with the calls the tests make into it.
     */
    private record Ns(NetNs ns)
    {
        <T> T call(final java.util.concurrent.Callable<T> task) throws Exception
        {
            return ns.call(task);
        }

        long statistic(final String ifname, final String name)
        {
            return Long.parseLong(ns.exec("cat", "/sys/class/net/" + ifname + "/statistics/" + name).trim());
        }

        Map<String, Long> ethtool(final String ifname)
        {
            final Map<String, Long> stats = new TreeMap<>();
            for (final String line : ns.exec("ethtool", "-S", ifname).split("\n"))
            {
                final int colon = line.lastIndexOf(':');
                if (colon > 0 && !line.startsWith("NIC statistics"))
                {
                    stats.put(line.substring(0, colon).trim(), Long.parseLong(line.substring(colon + 1).trim()));
                }
            }

            return stats;
        }
    }

    private static void await(final LongSupplier value, final long expected) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (value.getAsLong() < expected && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(10);
        }
    }
}
