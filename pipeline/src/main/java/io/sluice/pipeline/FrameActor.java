package io.sluice.pipeline;

import io.sluice.pipeline.parse.EthernetFlyweight;
import io.sluice.pipeline.parse.Ipv4Flyweight;
import io.sluice.pipeline.parse.Ipv6Flyweight;
import io.sluice.pipeline.parse.TcpFlyweight;
import io.sluice.pipeline.parse.UdpFlyweight;
import io.sluice.pipeline.rules.Action;
import io.sluice.pipeline.rules.FilterRule;
import io.sluice.pipeline.rules.RuleSet;
import io.sluice.xsk.frame.IpProtocols;

import java.lang.foreign.MemorySegment;

import static io.sluice.pipeline.FrameEvent.ABSENT;

/**
 * The act stage: carries out the filter's decision on the frame, in place. Drops, counts and parse errors are
 * counted here and leave {@link FrameEvent#egressPort} absent, so the transmitter recycles the frame; reflect and
 * forward rewrite the headers and name the egress port, and the transmitter counts them once the TX ring has them.
 * <p>
 * Swapping addresses or ports leaves the IPv4 header checksum and the TCP and UDP checksums valid: a ones'-complement
 * sum does not depend on the order of its terms, so no checksum needs recomputing.
 */
final class FrameActor
{
    private static final int REFLECT = Action.REFLECT.id();
    private static final int FORWARD = Action.FORWARD.id();
    private static final int COUNT = Action.COUNT.id();
    private static final int MIRROR = Action.MIRROR.id();

    private final Counters counters;
    private final FrameCapture.Producer capture;
    private final int captureSlot;
    // per rule, index 0 for the default action, rule i at i + 1
    private final int[] actions;
    private final boolean[] swapIp;
    private final boolean[] swapPorts;
    private final int[][] forwardPorts;
    private final int[] forwardTargets;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    /**
     * @param rules        the filter's rules.
     * @param forwardPorts per forward target (as {@link RuleSet#forwardInterfaces()} lists them), the ports of that
     *                     interface, indexed by RX queue modulo their number.
     * @param counters     the handler's counters.
     */
    FrameActor(final RuleSet rules, final int[][] forwardPorts, final Counters counters)
    {
        this(rules, forwardPorts, counters, null, ABSENT);
    }

    /**
     * @param capture     where mirror rules' frames, and the capture rule's, go; null for no capture.
     * @param captureRule index of the rule whose frames are captured whatever its action, or {@code ABSENT}.
     */
    FrameActor(
        final RuleSet rules,
        final int[][] forwardPorts,
        final Counters counters,
        final FrameCapture.Producer capture,
        final int captureRule)
    {
        this.counters = counters;
        this.capture = capture;
        this.captureSlot = ABSENT == captureRule ? ABSENT : captureRule + 1;
        this.forwardPorts = forwardPorts;
        final int n = rules.size() + 1;
        actions = new int[n];
        swapIp = new boolean[n];
        swapPorts = new boolean[n];
        forwardTargets = new int[n];
        actions[0] = rules.defaultAction().id();
        forwardTargets[0] = ABSENT;
        for (int i = 0; i < rules.size(); i++)
        {
            final FilterRule rule = rules.rule(i);
            actions[i + 1] = rule.action().id();
            swapIp[i + 1] = rule.swapIp();
            swapPorts[i + 1] = rule.swapPorts();
            forwardTargets[i + 1] = rule.forwardIndex();
        }
    }

    /**
     * Act on a parsed and filtered frame.
     *
     * @param umem  the UMEM.
     * @param event the frame.
     */
    void act(final MemorySegment umem, final FrameEvent event)
    {
        event.egressPort = ABSENT;
        if (0 != event.parseError)
        {
            counters.increment(PipelineCounter.PARSE_ERROR.id());
            counters.increment(Counters.PARSE_ERROR_BASE + event.parseError);
            return;
        }

        final int slot = event.rule + 1;
        final int action = actions[slot];
        // before the action, which may rewrite the frame: the capture shows it as it arrived
        if (null != capture && (MIRROR == action || slot == captureSlot))
        {
            capture.offer(event);
        }
        if (REFLECT == action)
        {
            reflect(umem, event, slot);
            event.egressPort = event.port;
        }
        else if (FORWARD == action)
        {
            final int[] ports = forwardPorts[forwardTargets[slot]];
            event.egressPort = ports[event.queue % ports.length];
        }
        else if (COUNT == action)
        {
            counters.increment(PipelineCounter.COUNTED.id());
        }
        else if (MIRROR == action)
        {
            counters.increment(PipelineCounter.MIRRORED.id());
        }
        else
        {
            counters.increment(PipelineCounter.DROPPED.id());
        }
    }

    private void reflect(final MemorySegment umem, final FrameEvent event, final int slot)
    {
        final long frame = event.address;
        ethernet.wrap(umem, frame).swapMacs();
        if (swapIp[slot])
        {
            if (4 == event.ipVersion)
            {
                ipv4.wrap(umem, frame + event.l3Offset).swapAddresses();
            }
            else if (6 == event.ipVersion)
            {
                ipv6.wrap(umem, frame + event.l3Offset).swapAddresses();
            }
        }
        if (swapPorts[slot] && ABSENT != event.l4Offset)
        {
            if (IpProtocols.UDP == event.ipProtocol)
            {
                udp.wrap(umem, frame + event.l4Offset).swapPorts();
            }
            else if (IpProtocols.TCP == event.ipProtocol)
            {
                tcp.wrap(umem, frame + event.l4Offset).swapPorts();
            }
        }
    }
}
