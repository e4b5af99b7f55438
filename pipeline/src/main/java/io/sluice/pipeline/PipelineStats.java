package io.sluice.pipeline;

import io.sluice.pipeline.parse.ParseError;

import java.util.List;

/**
 * A snapshot of the pipeline's counters, summed over its agents.
 */
public final class PipelineStats
{
    private final long[] totals;
    private final List<String> ruleNames;
    private final long[] ruleHits;
    private final long defaultHits;
    private final long retiredHits;
    private final long inRing;
    private final long outstandingTx;

    PipelineStats(
        final long[] totals,
        final List<String> ruleNames,
        final long[] ruleHits,
        final long defaultHits,
        final long retiredHits,
        final long inRing,
        final long outstandingTx)
    {
        this.totals = totals;
        this.ruleNames = ruleNames;
        this.retiredHits = retiredHits;
        this.ruleHits = ruleHits;
        this.defaultHits = defaultHits;
        this.inRing = inRing;
        this.outstandingTx = outstandingTx;
    }

    /**
     * @param counter a named counter.
     * @return its total.
     */
    public long get(final PipelineCounter counter)
    {
        return totals[counter.id()];
    }

    /**
     * @param reason a parse-error reason.
     * @return frames dropped for it.
     */
    public long get(final ParseError reason)
    {
        return totals[Counters.PARSE_ERROR_BASE + reason.id()];
    }

    /**
     * @return the sum of the outcomes: every frame received and done with.
     */
    public long outcomes()
    {
        long sum = 0;
        for (final PipelineCounter counter : PipelineCounter.values())
        {
            if (counter.isOutcome())
            {
                sum += totals[counter.id()];
            }
        }

        return sum;
    }

    /**
     * @param rule index of a filter rule.
     * @return frames it matched.
     */
    public long ruleHits(final int rule)
    {
        return ruleHits[rule];
    }

    /**
     * @return filter rules.
     */
    public int ruleCount()
    {
        return ruleHits.length;
    }

    /**
     * @return frames no rule matched (the default action took them).
     */
    public long defaultHits()
    {
        return defaultHits;
    }

    /**
     * @return frames matched by filter rules a reload has since removed.
     */
    public long retiredHits()
    {
        return retiredHits;
    }

    /**
     * @return frames the filter judged: every rule's hits, the default's and the retired rules'.
     */
    public long filtered()
    {
        long sum = defaultHits + retiredHits;
        for (final long hits : ruleHits)
        {
            sum += hits;
        }

        return sum;
    }

    /**
     * @param rule a rule index of the running rules.
     * @return its name.
     */
    public String ruleName(final int rule)
    {
        return ruleNames.get(rule);
    }

    /**
     * @return events published but not yet done with by the transmitter, when the snapshot was taken.
     */
    public long inRing()
    {
        return inRing;
    }

    /**
     * @return frames waiting in transmitter batches or in the kernel's TX path.
     */
    public long outstandingTx()
    {
        return outstandingTx;
    }
}
