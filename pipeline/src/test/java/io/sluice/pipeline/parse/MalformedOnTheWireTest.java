package io.sluice.pipeline.parse;

import io.sluice.pipeline.Accounting;
import io.sluice.pipeline.PacketProcessor;
import io.sluice.pipeline.PipelineConfig;
import io.sluice.pipeline.PipelineCounter;
import io.sluice.pipeline.SluiceContext;
import io.sluice.pipeline.rules.RulesFile;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.socket.XskConfig;
import io.sluice.xsk.socket.XskSocket;
import io.sluice.xsk.testing.NetNs;
import io.sluice.xsk.testing.Privileged;
import io.sluice.xsk.testing.Resources;
import io.sluice.xsk.testing.Transmit;
import io.sluice.xsk.umem.Umem;
import io.sluice.xsk.umem.UmemConfig;
import io.sluice.xsk.xdp.XdpMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Hostile frames on the wire: a corpus of malformed frames, each kind sent {@value #EACH} times from the other end
 * of a veth, steered whole into Sluice ({@code steer_all}); each kind is counted under its parse-error reason, as
 * many times as it was sent, and nothing else happens to it.
 */
class MalformedOnTheWireTest
{
    private static final int EACH = 50;
    private static final String GEN_IF = "mwg0";
    private static final String DUT_IF = "mwd0";
    private static final int SRC = 40_000;
    private static final int DST = 9;

    private final Resources resources = new Resources();

    @AfterEach
    void tearDown() throws Exception
    {
        resources.close();
    }

    /**
     * Each malformed shape and the reason it must be counted under.
     */
    private static List<Case> corpus()
    {
        final List<Case> cases = new ArrayList<>();
        final byte[] udp4 = FrameCrafter.ethernet().ipv4().udp(SRC, DST).payload(22).build().bytes();
        final byte[] tcp4 = FrameCrafter.ethernet().ipv4().tcp(SRC, DST, TcpFlyweight.FLAG_SYN, 0).payload(6).build()
            .bytes();
        final byte[] udp6 = FrameCrafter.ethernet().ipv6().udp(SRC, DST).payload(22).build().bytes();
        final int ip = EthernetFlyweight.HEADER_LENGTH;

        // truncated at every header
        cases.add(new Case("VLAN tag cut short", ParseError.TRUNCATED_VLAN,
            FrameCrafter.ethernet().etherType(EtherTypes.VLAN, 2).build().bytes()));
        cases.add(new Case("IPv4 header cut short", ParseError.TRUNCATED_IPV4,
            FrameCrafter.ethernet().etherType(EtherTypes.IPV4, 10).build().bytes()));
        cases.add(new Case("IPv6 header cut short", ParseError.TRUNCATED_IPV6,
            FrameCrafter.ethernet().etherType(EtherTypes.IPV6, 30).build().bytes()));
        cases.add(new Case("UDP header cut short", ParseError.TRUNCATED_UDP,
            FrameCrafter.ethernet().ipv4().protocol(IpProtocols.UDP).payload(4).build().bytes()));
        cases.add(new Case("TCP header cut short", ParseError.TRUNCATED_TCP,
            FrameCrafter.ethernet().ipv4().protocol(IpProtocols.TCP).payload(12).build().bytes()));
        cases.add(new Case("ICMP header cut short", ParseError.TRUNCATED_ICMP,
            FrameCrafter.ethernet().ipv4().protocol(IpProtocols.ICMP).payload(4).build().bytes()));
        cases.add(new Case("ICMPv6 header cut short", ParseError.TRUNCATED_ICMPV6,
            FrameCrafter.ethernet().ipv6().protocol(IpProtocols.ICMPV6).payload(4).build().bytes()));
        // bogus IHL: below 5, and beyond the frame
        cases.add(new Case("IPv4 IHL 3", ParseError.IPV4_BAD_IHL, with(udp4, ip, 0x43)));
        cases.add(new Case("IPv4 IHL 15 past the frame", ParseError.IPV4_BAD_IHL, with(udp4, ip, 0x4F)));
        cases.add(new Case("IPv4 version 6", ParseError.IPV4_BAD_VERSION, with(udp4, ip, 0x65)));
        cases.add(new Case("IPv6 version 4", ParseError.IPV6_BAD_VERSION, with(udp6, ip, 0x40)));
        // zero-length and jumbo-claimed lengths
        cases.add(new Case("IPv4 total length 0", ParseError.IPV4_BAD_TOTAL_LENGTH, with16(udp4, ip + 2, 0)));
        cases.add(new Case("IPv4 total length 65535", ParseError.IPV4_BAD_TOTAL_LENGTH,
            with16(udp4, ip + 2, 0xFFFF)));
        cases.add(new Case("IPv6 payload length 65535", ParseError.IPV6_BAD_PAYLOAD_LENGTH,
            with16(udp6, ip + 4, 0xFFFF)));
        cases.add(new Case("UDP length 0", ParseError.UDP_BAD_LENGTH, with16(udp4, ip + 20 + 4, 0)));
        cases.add(new Case("UDP length 65535", ParseError.UDP_BAD_LENGTH, with16(udp4, ip + 20 + 4, 0xFFFF)));
        cases.add(new Case("TCP data offset 4", ParseError.TCP_BAD_DATA_OFFSET, with(tcp4, ip + 20 + 12, 0x40)));
        // chains and stacks deeper than the bounds
        cases.add(new Case("IPv6 extension chain past the bound", ParseError.IPV6_EXTENSION_CHAIN_TOO_LONG,
            FrameCatalogue.chain(PacketParser.MAX_EXTENSION_HEADERS + 1).build().bytes()));
        cases.add(new Case("three VLAN tags", ParseError.VLAN_TOO_DEEP, FrameCrafter.ethernet()
            .vlan(EtherTypes.QINQ, 1).vlan(EtherTypes.VLAN, 2)
            .vlan(EtherTypes.VLAN, 3).ipv4().udp(SRC, DST).payload(8).build().bytes()));

        return cases;
    }

    @Test
    void shouldCountEachMalformedKindUnderItsReasonExactlyAsOftenAsItWasSent() throws Exception
    {
        Privileged.require("malformed frames over veth into Sluice");
        final NetNs gen = resources.keep(NetNs.create("mwgen"));
        final NetNs dut = resources.keep(NetNs.create("mwdut"));
        NetNs.veth(gen, GEN_IF, "10.228.0.1/24", dut, DUT_IF, "10.228.0.2/24");
        final Path rules = Files.createTempFile("malformed", ".yaml");
        Files.writeString(rules, "steer_all: true\ndefault: drop\n");
        final SluiceContext ctx = new SluiceContext()
            .iface(DUT_IF)
            .queues(0)
            .rules(RulesFile.load(rules))
            .xdpMode(XdpMode.NATIVE)
            .xskConfig(XskConfig.defaults())
            .umemConfig(UmemConfig.defaults())
            .pipelineConfig(PipelineConfig.defaults());
        Files.delete(rules);
        final PacketProcessor processor = resources.keep(dut.call(() -> PacketProcessor.launch(ctx)));
        final Umem umem = resources.keep(Umem.create(UmemConfig.defaults()));
        final XskSocket sender = resources.keep(gen.call(() -> XskSocket.open(umem, GEN_IF, 0,
            XskConfig.defaults().withPrefill(false))));

        final List<Case> corpus = corpus();
        final Map<ParseError, Long> expected = new EnumMap<>(ParseError.class);
        for (final Case one : corpus)
        {
            send(sender, one.frame());
            expected.merge(one.reason(), (long)EACH, Long::sum);
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        final long total = (long)EACH * corpus.size();
        while (processor.pipeline().stats().get(PipelineCounter.PARSE_ERROR) < total &&
            System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(10);
        }

        final Accounting accounting = processor.stop();
        final String table = String.join("\n", accounting.lines());
        assertEquals(0, accounting.kernelDropped(), table);
        assertEquals(total, accounting.received(), table);
        assertEquals(total, accounting.pipeline().get(PipelineCounter.PARSE_ERROR), table);
        for (final ParseError reason : ParseError.values())
        {
            if (ParseError.NONE != reason)
            {
                assertEquals(expected.getOrDefault(reason, 0L), accounting.pipeline().get(reason),
                    reason.key() + "\n" + table);
            }
        }
        assertEquals(0, accounting.pipeline().get(PipelineCounter.DROPPED), "nothing else happened to them");
    }

    private static void send(final XskSocket socket, final byte[] frame)
    {
        assertEquals(EACH, Transmit.frames(socket, Collections.nCopies(EACH, frame)));
        assertEquals(0, socket.txFrames(), "sent frames completed");
    }

    private static byte[] with(final byte[] frame, final int offset, final int value)
    {
        final byte[] copy = frame.clone();
        copy[offset] = (byte)value;
        return copy;
    }

    private static byte[] with16(final byte[] frame, final int offset, final int value)
    {
        final byte[] copy = frame.clone();
        FrameCrafter.putU16(copy, offset, value);
        return copy;
    }

    private record Case(String name, ParseError reason, byte[] frame)
    {
    }
}
