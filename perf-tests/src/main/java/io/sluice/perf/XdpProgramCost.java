package io.sluice.perf;

import io.sluice.xsk.ffi.LinuxBpf;
import io.sluice.xsk.frame.EtherTypes;
import io.sluice.xsk.frame.Frames;
import io.sluice.xsk.frame.IpProtocols;
import io.sluice.xsk.xdp.FlowRule;
import io.sluice.xsk.xdp.Prefix;
import io.sluice.xsk.xdp.SteeringProgram;
import io.sluice.xsk.xdp.SteeringTables;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * What the XDP steering program costs per packet, measured in the kernel by BPF_PROG_TEST_RUN's repeat loop for
 * each kind of packet, with a full or near-empty rule table. The figure includes the test harness's own loop, so
 * it is an upper bound for the program on a real receive path.
 * <pre>
 * ./sluice java io.sluice.perf.XdpProgramCost --rules 64 --repeat 1000000 --rounds 5
 * </pre>
 */
@Command(name = "xdp-program-cost", mixinStandardHelpOptions = true,
    description = "Per-packet cost of the XDP steering program, by BPF_PROG_TEST_RUN")
public final class XdpProgramCost implements Callable<Integer>
{
    @Option(names = "--rules", description = "rules installed, 2..64 (default ${DEFAULT-VALUE})")
    int rules = 64;

    @Option(names = "--repeat", description = "runs per measurement (default ${DEFAULT-VALUE})")
    int repeat = 1_000_000;

    @Option(names = "--rounds", description = "measurements per case; the median is reported (default ${DEFAULT-VALUE})")
    int rounds = 5;

    private record Case(String name, byte[] frame, int verdict)
    {
    }

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new XdpProgramCost()).execute(args));
    }

    public Integer call()
    {
        if (rules < 2 || rules > 64 || repeat < 1 || rounds < 1)
        {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rules must be 2..64, --repeat and --rounds >= 1");
        }

        try (SteeringProgram program = SteeringProgram.open().load())
        {
            final SteeringTables tables = program.tables();
            // the steered rule ranks last, so the match vectors carry every other rule's bit as well
            for (int i = 0; i < rules - 2; i++)
            {
                tables.add(FlowRule.of(100 + i, FlowRule.Action.DROP).withPriority(i).withProtocol(IpProtocols.UDP)
                    .withDestination("10." + (1 + i / 250) + "." + (i % 250) + ".0/24").withDstPort(10_000 + i));
            }
            tables.add(FlowRule.of(1, FlowRule.Action.STEER).withPriority(1000).withProtocol(IpProtocols.UDP)
                .withDestination("10.200.0.0/16").withDstPort(4789));
            tables.add(FlowRule.of(2, FlowRule.Action.STEER).withPriority(1000).withProtocol(IpProtocols.TCP)
                .withDestination("fd00::/64").withDstPort(443));
            program.blocklist().blockSource(Prefix.parse("198.51.100.0/24"));

            final List<Case> cases = List.of(
                new Case("unmatched IPv4 UDP (rejected by the array lookups)",
                    Frames.ethernet().ipv4("172.16.0.1", "203.0.113.9").udp(1000, 9999).payload(18).build(),
                    LinuxBpf.XDP_PASS),
                new Case("IPv4 UDP, address lookups, no match",
                    Frames.ethernet().ipv4("172.16.0.1", "203.0.113.9").udp(1000, 4789).payload(18).build(),
                    LinuxBpf.XDP_PASS),
                new Case("steered IPv4 UDP (no socket: passes)",
                    Frames.ethernet().ipv4("172.16.0.1", "10.200.1.1").udp(1000, 4789).payload(18).build(),
                    LinuxBpf.XDP_PASS),
                new Case("steered IPv6 TCP behind QinQ (no socket: passes)",
                    Frames.ethernet().vlan(EtherTypes.QINQ, 100).vlan(EtherTypes.VLAN, 10).ipv6("fd01::1", "fd00::7").tcp(1000, 443)
                        .build(), LinuxBpf.XDP_PASS),
                new Case("blocklisted IPv4 source",
                    Frames.ethernet().ipv4("198.51.100.7", "10.200.1.1").udp(1000, 4789).payload(18).build(),
                    LinuxBpf.XDP_DROP),
                new Case("ARP (not IP)", Frames.ethernet().etherType(0x0806).build(), LinuxBpf.XDP_PASS));

            System.out.println("# ./sluice java " + XdpProgramCost.class.getName() + " --rules " + rules +
                " --repeat " + repeat + " --rounds " + rounds);
            System.out.printf("# %d rules installed, %d blocklisted prefix, BPF_PROG_TEST_RUN x %,d, median of %d%n",
                tables.list().size(), program.blocklist().blockedSources().size(), repeat, rounds);
            System.out.printf("%-52s %8s %10s%n", "case", "ns/pkt", "Mpps/core");
            for (final Case c : cases)
            {
                final long[] samples = new long[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    final SteeringProgram.TestRun run = program.testRun(c.frame(), repeat);
                    if (run.verdict() != c.verdict())
                    {
                        throw new IllegalStateException(c.name() + ": verdict " + run.verdict() + ", expected " +
                            c.verdict());
                    }
                    samples[r] = run.meanRunNs();
                }
                Arrays.sort(samples);
                final long medianNs = samples[rounds / 2];
                System.out.printf("%-52s %8d %10.1f%n", c.name(), medianNs, medianNs > 0 ? 1000.0 / medianNs : 0.0);
            }
        }

        return 0;
    }
}
