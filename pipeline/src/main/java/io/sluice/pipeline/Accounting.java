package io.sluice.pipeline;

import io.sluice.pipeline.parse.ParseError;
import io.sluice.pipeline.rules.Filter;
import io.sluice.xsk.umem.FrameOwnership;
import io.sluice.xsk.xdp.Stat;
import io.sluice.xsk.xdp.XdpCounter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The final accounting of a run: every packet the XDP program was offered, where it went, and what became of every
 * frame Sluice received. Three equalities must hold, and {@link #balanced()} checks them:
 * <ol>
 *     <li>offered = passed to the kernel + dropped in XDP + steered;</li>
 *     <li>steered = received + dropped by the kernel for want of room (XDP_STATISTICS) + left in the RX rings;</li>
 *     <li>received = the sum of the pipeline's outcomes;</li>
 *     <li>dropped by blocks = the sum of every block's own drop counter, live or removed.</li>
 * </ol>
 *
 * @param xdp           the XDP program's counters, indexed by {@link XdpCounter#ordinal()}.
 * @param pipeline      the pipeline's counters.
 * @param kernelDropped frames the kernel steered to a socket but dropped (RX ring full, or no fill frame).
 * @param rxRingFull    of those, RX ring full.
 * @param fillEmpty     of those, fill ring empty.
 * @param leftInRx      frames still in the RX rings when the pipeline stopped reading.
 * @param ownership     where every UMEM frame is, after the stop.
 * @param ruleNames     filter rule names, by index.
 * @param blockDrops    packets the blocks dropped by their own counters: the live blocks' and the removed ones'.
 */
public record Accounting(
    Stat[] xdp,
    PipelineStats pipeline,
    long kernelDropped,
    long rxRingFull,
    long fillEmpty,
    long leftInRx,
    FrameOwnership ownership,
    long blockDrops)
{
    /**
     * The table's line when every frame received carried the generation of the rules that steered it.
     */
    public static final String STAMPED_LINE = "rules generation: in every frame received, so each was judged by the " +
        "filter of the rules that steered it";

    /**
     * @return packets the XDP program decided on.
     */
    public long offered()
    {
        return passed() + xdpDropped() + steered();
    }

    /**
     * @return packets passed to the kernel's stack.
     */
    public long passed()
    {
        return packets(XdpCounter.PASS_NO_MATCH) + packets(XdpCounter.PASS_RULE) +
            packets(XdpCounter.PASS_NO_SOCKET) + packets(XdpCounter.PASS_NOT_IP) + packets(XdpCounter.PASS_MALFORMED);
    }

    /**
     * @return packets dropped in XDP.
     */
    public long xdpDropped()
    {
        return packets(XdpCounter.DROP_BLOCKLIST) + packets(XdpCounter.DROP_RULE);
    }

    /**
     * @return packets redirected to an AF_XDP socket.
     */
    public long steered()
    {
        return packets(XdpCounter.REDIRECT);
    }

    /**
     * @return frames the pipeline read from the RX rings.
     */
    public long received()
    {
        return pipeline.get(PipelineCounter.RECEIVED);
    }

    /**
     * @return true when steered frames and received frames are all accounted for, and every UMEM frame is in one
     * place.
     */
    public boolean balanced()
    {
        return steered() == received() + kernelDropped + leftInRx &&
            received() == pipeline.outcomes() &&
            packets(XdpCounter.DROP_BLOCKLIST) == blockDrops &&
            pipeline.filtered() == received() - pipeline.get(PipelineCounter.PARSE_ERROR) &&
            ownership.balanced();
    }

    /**
     * @param counter an XDP counter.
     * @return its packets.
     */
    public long packets(final XdpCounter counter)
    {
        return xdp[counter.ordinal()].packets();
    }

    /**
     * @return the table, one line each, as {@code run} and {@code demo} print it.
     */
    public List<String> lines()
    {
        final List<String> lines = new ArrayList<>();
        row(lines, 0, "offered to XDP", offered());
        row(lines, 1, "passed to the kernel", passed());
        for (final XdpCounter counter : XdpCounter.values())
        {
            if (counter.name().startsWith("PASS_") && packets(counter) > 0)
            {
                row(lines, 2, counter.description(), packets(counter));
            }
        }
        row(lines, 1, "dropped in XDP", xdpDropped());
        row(lines, 2, "by blocks", packets(XdpCounter.DROP_BLOCKLIST));
        row(lines, 2, "by drop rules", packets(XdpCounter.DROP_RULE));
        row(lines, 1, "steered to AF_XDP", steered());
        row(lines, 2, "dropped by the kernel", kernelDropped);
        row(lines, 3, "RX ring full", rxRingFull);
        row(lines, 3, "fill ring empty", fillEmpty);
        row(lines, 2, "left in RX rings", leftInRx);
        row(lines, 2, "received by Sluice", received());
        for (final PipelineCounter counter : PipelineCounter.values())
        {
            if (counter.isOutcome())
            {
                row(lines, 3, counter.key(), pipeline.get(counter));
                if (PipelineCounter.PARSE_ERROR == counter)
                {
                    for (final ParseError reason : ParseError.values())
                    {
                        if (ParseError.NONE != reason && pipeline.get(reason) > 0)
                        {
                            row(lines, 4, reason.key(), pipeline.get(reason));
                        }
                    }
                }
            }
        }
        lines.add("filter rule hits:");
        for (int i = 0; i < pipeline.ruleCount(); i++)
        {
            row(lines, 1, pipeline.ruleName(i), pipeline.ruleHits(i));
        }
        row(lines, 1, Filter.DEFAULT_LABEL, pipeline.defaultHits());
        if (pipeline.retiredHits() > 0)
        {
            row(lines, 1, Filter.RETIRED_LABEL + " rules a reload removed", pipeline.retiredHits());
        }
        final long unstamped = pipeline.get(PipelineCounter.UNSTAMPED);
        lines.add(0 == unstamped ? STAMPED_LINE : String.format(Locale.ROOT, "rules generation: %,d frames " +
            "received without it in their XDP metadata (the driver had no room), judged by the newest rules",
            unstamped));
        lines.add(String.format(Locale.ROOT, "UMEM frames: %s", ownership));
        lines.add(balanced() ?
            "accounting: balanced (offered = passed + dropped in XDP + steered; steered = received + kernel drops " +
            "+ left in RX; received = sum of outcomes = parse errors + rule hits; by blocks = sum of the blocks' " +
            "counters)" :
            "accounting: NOT BALANCED: steered " + steered() + " vs received + kernel drops + left in RX " +
            (received() + kernelDropped + leftInRx) + "; received " + received() + " vs outcomes " +
            pipeline.outcomes() + "; filtered " + pipeline.filtered() + " vs received less parse errors " +
            (received() - pipeline.get(PipelineCounter.PARSE_ERROR)) + "; by blocks " +
            packets(XdpCounter.DROP_BLOCKLIST) + " vs the blocks' counters " +
            blockDrops + "; frames " + ownership);

        return lines;
    }

    private static void row(final List<String> lines, final int depth, final String name, final long value)
    {
        final String label = "  ".repeat(depth) + name;
        lines.add(String.format(Locale.ROOT, "%-44s %,15d", label, value));
    }
}
