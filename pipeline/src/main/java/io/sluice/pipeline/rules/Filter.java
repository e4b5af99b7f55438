package io.sluice.pipeline.rules;

import io.sluice.pipeline.FrameEvent;
import io.sluice.xsk.counters.CounterSet;
import io.sluice.xsk.counters.CountersFile;
import io.sluice.xsk.counters.Labels;

import static io.sluice.pipeline.rules.FilterRule.MATCH_DST_IPV4;
import static io.sluice.pipeline.rules.FilterRule.MATCH_DST_IPV6;
import static io.sluice.pipeline.rules.FilterRule.MATCH_DST_PORT;
import static io.sluice.pipeline.rules.FilterRule.MATCH_ETHER_TYPE;
import static io.sluice.pipeline.rules.FilterRule.MATCH_FRAGMENT;
import static io.sluice.pipeline.rules.FilterRule.MATCH_ICMP_CODE;
import static io.sluice.pipeline.rules.FilterRule.MATCH_ICMP_TYPE;
import static io.sluice.pipeline.rules.FilterRule.MATCH_IP_VERSION;
import static io.sluice.pipeline.rules.FilterRule.MATCH_PROTOCOL;
import static io.sluice.pipeline.rules.FilterRule.MATCH_SRC_IPV4;
import static io.sluice.pipeline.rules.FilterRule.MATCH_SRC_IPV6;
import static io.sluice.pipeline.rules.FilterRule.MATCH_SRC_PORT;
import static io.sluice.pipeline.rules.FilterRule.MATCH_TCP_FLAGS;
import static io.sluice.pipeline.rules.FilterRule.MATCH_VLAN;

/**
 * Matches parsed frames against a {@link RuleSet}, first match winning, and counts each rule's hits. One per
 * handler thread, over a rule set shared by all of them.
 * <p>
 * The rules are copied into parallel arrays of primitives, one slot per rule, with a bit set per rule of the
 * fields it constrains; {@link #match(FrameEvent)} scans them in order and allocates nothing.
 * <p>
 * <b>Counters:</b> the handler thread that calls {@link #match(FrameEvent)} is their only writer; any thread may read
 * them with {@link #hits(int)} and {@link #defaultHits()}. Each rule's counter is its own series, so that a filter
 * built for reloaded rules carries on the counter of every rule of the same name (and the default's), and
 * {@link #retire(Filter)} frees those of the rules that went.
 */
public final class Filter
{
    /**
     * The {@code rule} label of the default's series.
     */
    public static final String DEFAULT_LABEL = "(default)";

    /**
     * The {@code rule} label of the series that keeps the hits of rules a reload removed.
     */
    public static final String RETIRED_LABEL = "(retired)";

    /**
     * Each rule's series, {@code sluice_rule_hits_total{...,rule="NAME"}}.
     */
    public static final CountersFile.Metric HITS = CountersFile.Metric.counter("sluice_rule_hits_total",
        "filter: frames each rule matched, first match winning; (default) took the rest, (retired) the rules a " +
        "reload removed");

    private final RuleSet ruleSet;
    private final int ruleCount;
    private final int defaultActionId;
    private final int defaultHitsIndex;

    private final int[] fields;
    private final int[] actionIds;
    private final int[] forwardIndexes;
    private final int[] vlans;
    private final int[] etherTypes;
    private final int[] ipVersions;
    private final int[] protocols;
    private final int[] srcIpv4s;
    private final int[] srcIpv4Masks;
    private final int[] dstIpv4s;
    private final int[] dstIpv4Masks;
    private final long[] srcIpv6His;
    private final long[] srcIpv6Los;
    private final long[] srcIpv6MaskHis;
    private final long[] srcIpv6MaskLos;
    private final long[] dstIpv6His;
    private final long[] dstIpv6Los;
    private final long[] dstIpv6MaskHis;
    private final long[] dstIpv6MaskLos;
    private final int[] srcPortLows;
    private final int[] srcPortHighs;
    private final int[] dstPortLows;
    private final int[] dstPortHighs;
    private final int[] tcpFlagsMasks;
    private final int[] tcpFlagsValues;
    private final int[] icmpTypes;
    private final int[] icmpCodes;
    private final int[] fragments;

    /**
     * Hit counters, {@code sluice_rule_hits_total{...,rule="NAME"}}: rule {@code i} at {@code i}, the default after
     * the last rule. Each has its own 128-byte slot in the counters file.
     */
    private final CounterSet hits;
    private final CounterSet[] each;

    /**
     * @param ruleSet the rules to match against; shared, never changed.
     */
    public Filter(final RuleSet ruleSet)
    {
        this(ruleSet, CountersFile.inMemory(2 * (ruleSet.size() + 2)), "");
    }

    /**
     * @param ruleSet the rules to match against; shared, never changed.
     * @param file    the instance's counters, where the hit counters go.
     * @param labels  the handler's labels, {@code iface="veth1",agent="handler-0"}.
     */
    public Filter(final RuleSet ruleSet, final CountersFile file, final String labels)
    {
        this(ruleSet, file, labels, null);
    }

    /**
     * @param ruleSet the rules to match against; shared, never changed.
     * @param file    the instance's counters, where the hit counters go.
     * @param labels  the handler's labels, {@code iface="veth1",agent="handler-0"}.
     * @param carried the same handler's filter these rules replace, whose counters the rules of the same names and
     *                the default carry on (both are written by the one handler thread), or null.
     */
    public Filter(final RuleSet ruleSet, final CountersFile file, final String labels, final Filter carried)
    {
        this.ruleSet = ruleSet;
        final int count = ruleSet.size();
        ruleCount = count;
        defaultActionId = ruleSet.defaultAction().id();
        defaultHitsIndex = count;

        fields = new int[count];
        actionIds = new int[count];
        forwardIndexes = new int[count];
        vlans = new int[count];
        etherTypes = new int[count];
        ipVersions = new int[count];
        protocols = new int[count];
        srcIpv4s = new int[count];
        srcIpv4Masks = new int[count];
        dstIpv4s = new int[count];
        dstIpv4Masks = new int[count];
        srcIpv6His = new long[count];
        srcIpv6Los = new long[count];
        srcIpv6MaskHis = new long[count];
        srcIpv6MaskLos = new long[count];
        dstIpv6His = new long[count];
        dstIpv6Los = new long[count];
        dstIpv6MaskHis = new long[count];
        dstIpv6MaskLos = new long[count];
        srcPortLows = new int[count];
        srcPortHighs = new int[count];
        dstPortLows = new int[count];
        dstPortHighs = new int[count];
        tcpFlagsMasks = new int[count];
        tcpFlagsValues = new int[count];
        icmpTypes = new int[count];
        icmpCodes = new int[count];
        fragments = new int[count];
        final CountersFile.Metric metric = HITS;
        each = new CounterSet[count + 1];
        for (int i = 0; i <= count; i++)
        {
            final String name = i < count ? ruleSet.rules().get(i).name() : null;
            final int kept = null == carried ? -1 : null == name ? carried.ruleCount : carried.ruleSet.indexOf(name);
            each[i] = kept >= 0 ? carried.each[kept] :
                file.allocate(Labels.and(labels, "rule", null == name ? DEFAULT_LABEL : name), metric);
        }
        hits = CounterSet.join(each);

        for (int i = 0; i < count; i++)
        {
            final FilterRule rule = ruleSet.rule(i);
            fields[i] = rule.fields();
            actionIds[i] = rule.action().id();
            forwardIndexes[i] = rule.forwardIndex();
            vlans[i] = rule.vlan();
            etherTypes[i] = rule.etherType();
            ipVersions[i] = rule.ipVersion();
            protocols[i] = rule.protocol();
            final AddressMatch src = rule.srcAddress();
            final AddressMatch dst = rule.dstAddress();
            srcIpv4s[i] = src.ipv4();
            srcIpv4Masks[i] = src.ipv4Mask();
            dstIpv4s[i] = dst.ipv4();
            dstIpv4Masks[i] = dst.ipv4Mask();
            srcIpv6His[i] = src.ipv6Hi();
            srcIpv6Los[i] = src.ipv6Lo();
            srcIpv6MaskHis[i] = src.ipv6MaskHi();
            srcIpv6MaskLos[i] = src.ipv6MaskLo();
            dstIpv6His[i] = dst.ipv6Hi();
            dstIpv6Los[i] = dst.ipv6Lo();
            dstIpv6MaskHis[i] = dst.ipv6MaskHi();
            dstIpv6MaskLos[i] = dst.ipv6MaskLo();
            srcPortLows[i] = rule.srcPorts().low();
            srcPortHighs[i] = rule.srcPorts().high();
            dstPortLows[i] = rule.dstPorts().low();
            dstPortHighs[i] = rule.dstPorts().high();
            tcpFlagsMasks[i] = rule.tcpFlagsSet() | rule.tcpFlagsClear();
            tcpFlagsValues[i] = rule.tcpFlagsSet();
            icmpTypes[i] = rule.icmpType();
            icmpCodes[i] = rule.icmpCode();
            fragments[i] = rule.fragment();
        }
    }

    /**
     * Find the first rule the frame matches, record the decision in the event and count the hit. Allocates nothing.
     *
     * @param event a parsed frame; {@link FrameEvent#rule} and {@link FrameEvent#action} are written.
     * @return the index of the matching rule, or {@link FrameEvent#ABSENT} when the default action applies.
     */
    public int match(final FrameEvent event)
    {
        final int outerVlanId = event.outerVlanId;
        final int etherType = event.etherType;
        final int ipVersion = event.ipVersion;
        final int ipProtocol = event.ipProtocol;
        final int srcIpv4 = event.srcIpv4;
        final int dstIpv4 = event.dstIpv4;
        final long srcIpv6Hi = event.srcIpv6Hi;
        final long srcIpv6Lo = event.srcIpv6Lo;
        final long dstIpv6Hi = event.dstIpv6Hi;
        final long dstIpv6Lo = event.dstIpv6Lo;
        final int srcPort = event.srcPort;
        final int dstPort = event.dstPort;
        final int tcpFlags = event.tcpFlags;
        final int icmpType = event.icmpType;
        final int icmpCode = event.icmpCode;
        final int fragment = 0 == ipVersion ?
            FrameEvent.ABSENT : (0 != (event.ipFlags & FrameEvent.IP_FRAGMENT) ? 1 : 0);

        final int[] fields = this.fields;
        final int ruleCount = this.ruleCount;
        for (int i = 0; i < ruleCount; i++)
        {
            final int constrained = fields[i];
            // Cheapest and most selective first. ABSENT (-1) never equals a constraint and is below every port, so
            // frames without a field fail any constraint on it; ipVersion 0 fails every address constraint.
            if ((0 != (constrained & MATCH_PROTOCOL) && ipProtocol != protocols[i]) ||
                (0 != (constrained & MATCH_DST_PORT) && (dstPort < dstPortLows[i] || dstPort > dstPortHighs[i])) ||
                (0 != (constrained & MATCH_DST_IPV4) &&
                    (4 != ipVersion || (dstIpv4 & dstIpv4Masks[i]) != dstIpv4s[i])) ||
                (0 != (constrained & MATCH_DST_IPV6) &&
                    (6 != ipVersion || (dstIpv6Hi & dstIpv6MaskHis[i]) != dstIpv6His[i] ||
                    (dstIpv6Lo & dstIpv6MaskLos[i]) != dstIpv6Los[i])) ||
                (0 != (constrained & MATCH_SRC_IPV4) &&
                    (4 != ipVersion || (srcIpv4 & srcIpv4Masks[i]) != srcIpv4s[i])) ||
                (0 != (constrained & MATCH_SRC_IPV6) &&
                    (6 != ipVersion || (srcIpv6Hi & srcIpv6MaskHis[i]) != srcIpv6His[i] ||
                    (srcIpv6Lo & srcIpv6MaskLos[i]) != srcIpv6Los[i])) ||
                (0 != (constrained & MATCH_SRC_PORT) && (srcPort < srcPortLows[i] || srcPort > srcPortHighs[i])) ||
                (0 != (constrained & MATCH_IP_VERSION) && ipVersion != ipVersions[i]) ||
                (0 != (constrained & MATCH_VLAN) && outerVlanId != vlans[i]) ||
                (0 != (constrained & MATCH_ETHER_TYPE) && etherType != etherTypes[i]) ||
                (0 != (constrained & MATCH_TCP_FLAGS) &&
                    (FrameEvent.ABSENT == tcpFlags || (tcpFlags & tcpFlagsMasks[i]) != tcpFlagsValues[i])) ||
                (0 != (constrained & MATCH_ICMP_TYPE) && icmpType != icmpTypes[i]) ||
                (0 != (constrained & MATCH_ICMP_CODE) && icmpCode != icmpCodes[i]) ||
                (0 != (constrained & MATCH_FRAGMENT) && fragment != fragments[i]))
            {
                continue;
            }

            event.rule = i;
            event.action = actionIds[i];
            hits.increment(i);

            return i;
        }

        event.rule = FrameEvent.ABSENT;
        event.action = defaultActionId;
        hits.increment(defaultHitsIndex);

        return FrameEvent.ABSENT;
    }

    /**
     * @param rule a rule index.
     * @return frames the rule has matched so far.
     * @throws IndexOutOfBoundsException if there is no such rule.
     */
    public long hits(final int rule)
    {
        if (rule < 0 || rule >= ruleCount)
        {
            throw new IndexOutOfBoundsException("rule " + rule + " of " + ruleCount);
        }

        return hits.get(rule);
    }

    /**
     * Free the counters of this filter's rules that {@code next} did not carry on, once no frame is judged by this
     * filter any more. For the handler's retirement of replaced rules; this filter must not match after.
     *
     * @param next the filter that replaced this one.
     * @param file the file the counters are in.
     * @return the frames the freed counters had counted, now a retired total.
     */
    public long retire(final Filter next, final CountersFile file)
    {
        long retired = 0;
        for (final CounterSet mine : each)
        {
            boolean kept = false;
            for (final CounterSet theirs : next.each)
            {
                kept |= mine == theirs;
            }
            if (!kept)
            {
                retired += mine.get(0);
                file.free(mine);
            }
        }

        return retired;
    }

    /**
     * @return frames no rule matched, which took the default action.
     */
    public long defaultHits()
    {
        return hits.get(defaultHitsIndex);
    }

    /**
     * @param rule a rule index, as {@link #match(FrameEvent)} returns it.
     * @return for a forward rule, its egress interface's index in {@link RuleSet#forwardInterfaces()}; otherwise
     * {@link FrameEvent#ABSENT}.
     */
    public int forwardIndex(final int rule)
    {
        return forwardIndexes[rule];
    }

    /**
     * @return the number of rules.
     */
    public int ruleCount()
    {
        return ruleCount;
    }

    /**
     * @return the rules this filter matches against.
     */
    public RuleSet ruleSet()
    {
        return ruleSet;
    }
}
